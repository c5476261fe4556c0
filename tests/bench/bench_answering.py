"""Answering a survey: complete answers a second through the customers' own page (POST /r/<token>/, action
submit, of a one-page survey: an NPS score and a comment) against a bare Django view storing the same fields as one
row with one hand-written INSERT, both served by one gunicorn (two sync workers) on PostgreSQL, in the same run.
Reference: the floor of an answer, its statements hand-written in a bare view on the same server (tests/bench/urls.py
floor_answer): what the target leaves once the schema's own work is paid.

Every answer is a real first submission with its own invitation: the token's lookup, the invitation's state, the
compare-and-swap of `answered_at`, the response, its answers and its integrity digest. Target: answers/s at least
0.4x the bare inserts/s.

Gunicorn connects to the test database as the application role (DATABASE_APP_ROLE), as production does, so every
answer runs under row-level security. The load comes from this process: a pool of threads, each with its own
connection (the sync workers close it after each answer), the two kinds interleaved in rounds so that the noise of a
shared machine falls on both. On SQLite it is skipped: two server processes writing one SQLite file take turns
behind its lock, which says nothing about the server's capacity.

Run with `make bench`. Prints the rates and the ratio; no timing assertion (these machines are noisy).
"""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import connection

from surveys.models import Invitation, Response
from surveys.services.sending import contacts_for, survey_send
from tests.bench.panel import SEGMENT, panel
from tests.bench.urls import BARE_ANSWERS_TABLE
from tests.conftest import as_owner
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db(transaction=True)

ANSWERS = 2_000
ROUNDS = 4  # each kind runs ANSWERS / ROUNDS requests a round, the kinds taking turns
CLIENTS = 6
WORKERS = 2
WARM = 20  # requests of each kind before the timed rounds: both workers connected, each statement planned once
QUESTIONS = [
    {"code": "nps", "kind": "nps", "text": "How likely are you to recommend us?", "required": True},
    {"code": "why", "kind": "long_text", "text": "What is the main reason for your score?"},
]


def _tokens(tenant) -> list[str]:
    with tenant.context():
        survey = build_survey(tenant.organization, questions=QUESTIONS)
        send = survey_send(
            survey=survey, actor=tenant.manager,
            contacts=contacts_for(organization=tenant.organization, segment=SEGMENT),
        )  # fmt: skip
        contexts = Invitation.objects.filter(send=send).values_list("message__context", flat=True)
        return [context["token"] for context in contexts]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    params = connection.settings_dict
    user = settings.DATABASE_APP_ROLE or params["USER"]
    password = f":{quote(params['PASSWORD'])}" if params["PASSWORD"] and not settings.DATABASE_APP_ROLE else ""
    where = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    return f"postgres://{quote(user)}{password}@{where}/{params['NAME']}"


def _start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
        "DATABASE_URL": _database_url(),
        "DATABASE_APP_ROLE": settings.DATABASE_APP_ROLE,
        "CONN_MAX_AGE": "60",  # the production default: each worker keeps its connection
        "DEBUG": "0",
        "STATIC_MANIFEST": "0",
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",  # no collected static files: none is served
    }
    command = [sys.executable, "-m", "gunicorn", "qms.wsgi:application", "--workers", str(WORKERS),
               "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
        if server.poll() is not None:
            break
    server.kill()
    raise RuntimeError("gunicorn did not answer")


class Load:
    """Concurrent POSTs to the server, each thread on its own connection (opened again when the server closes it)."""

    def __init__(self, port: int):
        self.port, self.local = port, threading.local()
        self.pool = ThreadPoolExecutor(CLIENTS)

    def _post(self, path_and_body: tuple[str, str]) -> int:
        path, body = path_and_body
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        for _attempt in range(3):
            conn = getattr(self.local, "conn", None) or http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.local.conn = conn
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (ConnectionError, http.client.RemoteDisconnected):
                conn.close()
                self.local.conn = None
                continue
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                self.local.conn = None
            return response.status
        raise RuntimeError(f"no answer from {path}")

    def seconds(self, requests: list[tuple[str, str]]) -> float:
        start = time.perf_counter()
        statuses = list(self.pool.map(self._post, requests))
        elapsed = time.perf_counter() - start
        assert set(statuses) == {302}, sorted(set(statuses))
        return elapsed


def _body(n: int) -> str:
    return urlencode({"page": "0", "action": "submit", "q_nps": str(n % 11), "q_why": f"Delivery {n} arrived late."})


def test_bench_answers_through_the_survey_page_against_bare_inserts(alpha):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: gunicorn's workers would take turns behind SQLite's write lock")
    panel(alpha, 2 * ANSWERS + 2 * WARM)
    tokens = _tokens(alpha)
    # the first ANSWERS answered through the page, the next through the floor, the last ones warm both up
    assert len(tokens) == 2 * ANSWERS + 2 * WARM
    warm = tokens[2 * ANSWERS :]
    with as_owner(), connection.cursor() as cursor:
        # Statistics, as autovacuum takes them after such a load (a table of no statistics can be read by the wrong
        # index until it does); ANALYZE is the owner's.
        cursor.execute("ANALYZE surveys_invitation, customers_contact, surveys_partialresponse, surveys_response")
        cursor.execute(
            f"CREATE TABLE {BARE_ANSWERS_TABLE} (id bigserial PRIMARY KEY, token text NOT NULL, "
            "answers jsonb NOT NULL, created_at timestamptz NOT NULL)"
        )
        if settings.DATABASE_APP_ROLE:
            role = connection.ops.quote_name(settings.DATABASE_APP_ROLE)
            cursor.execute(f"GRANT SELECT, INSERT ON {BARE_ANSWERS_TABLE} TO {role}")
            cursor.execute(f"GRANT USAGE ON SEQUENCE {BARE_ANSWERS_TABLE}_id_seq TO {role}")
    port, server = _free_port(), None
    try:
        server = _start_gunicorn(port)
        load = Load(port)
        load.seconds([(f"/bench/bare/answers/warm-{i}/", _body(i)) for i in range(WARM)])  # the server warm
        load.seconds([(f"/r/{warm[i]}/", _body(i)) for i in range(WARM)])
        load.seconds([(f"/bench/floor/answers/{warm[WARM + i]}/", _body(i)) for i in range(WARM)])
        per_round = ANSWERS // ROUNDS
        answers, bare, floor = [], [], []
        for r in range(ROUNDS):
            part = range(r * per_round, (r + 1) * per_round)
            bare.append(load.seconds([(f"/bench/bare/answers/t{n}/", _body(n)) for n in part]))
            answers.append(load.seconds([(f"/r/{tokens[n]}/", _body(n)) for n in part]))
            floor.append(load.seconds([(f"/bench/floor/answers/{tokens[ANSWERS + n]}/", _body(n)) for n in part]))
        load.pool.shutdown()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with as_owner(), connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {BARE_ANSWERS_TABLE}")  # noqa: S608 - a fixed name
            inserted = cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE {BARE_ANSWERS_TABLE}")

    with alpha.context():
        assert Response.objects.filter(organization=alpha.organization).count() == 2 * ANSWERS + 2 * WARM
    assert inserted == ANSWERS + WARM
    answer_rate, bare_rate, floor_rate = ANSWERS / sum(answers), ANSWERS / sum(bare), ANSWERS / sum(floor)
    rounds = ", ".join(f"{(per_round / a) / (per_round / b):.2f}x" for a, b in zip(answers, bare, strict=True))
    print(
        f"\n[bench] {ANSWERS} answers through /r/<token>/ on gunicorn ({WORKERS} sync workers, {CLIENTS} clients): "
        f"{answer_rate:.0f} answers/s ({sum(answers) / ANSWERS * 1000:.1f} ms apart); bare inserts {bare_rate:.0f}/s "
        f"({sum(bare) / ANSWERS * 1000:.1f} ms apart); ratio {answer_rate / bare_rate:.2f}x (rounds: {rounds})\n"
        f"[bench] the floor of an answer (its statements hand-written in a bare view, row-level security on): "
        f"{floor_rate:.0f}/s, {floor_rate / bare_rate:.2f}x the bare inserts; "
        f"the page is {answer_rate / floor_rate:.2f}x the floor"
    )
