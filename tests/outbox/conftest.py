"""Real moving parts for the outbox tests: an aiosmtpd SMTP sink, a redis-server of our own and an in-process
Celery worker (solo pool, in a thread) consuming from it. Nothing here is a mock: every email crosses a socket.
"""

import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from email import policy

import kombu.pools
import pytest
from aiosmtpd.controller import Controller
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.db import connection, connections

from qms import celery_app
from qms.outbox.models import OutboxMessage
from qms.outbox.tasks import relay_outbox
from tests.conftest import every_organisation

DEADLINE_SECONDS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def outbox_row(pk) -> OutboxMessage:
    """Read one outbox row as the relay would (any organisation), fresh from the database."""
    with every_organisation():
        return OutboxMessage.objects.get(pk=pk)


# --- SMTP sink ----------------------------------------------------------------------------------------------


class SinkHandler:
    """aiosmtpd handler that records every RCPT and DATA and can refuse them with a chosen SMTP reply."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rcpt_refusals = {}  # address -> [reply, remaining times or None for always]
        self._data_refusals = []  # [reply, remaining times]
        self.rcpt_attempts = Counter()
        self.data_attempts = []  # every message body offered with DATA, accepted or refused
        self.accepted = []  # messages answered with 250
        self.peers = []  # the client's address and port of each accepted message: one per SMTP connection
        self._drops = set()  # addresses whose RCPT drops the connection, once each

    def refuse_rcpt(self, address: str, reply: str, times: int | None = None):
        with self._lock:
            self._rcpt_refusals[address.lower()] = [reply, times]

    def drop_connection_at(self, address: str):
        """The next RCPT for this address closes the connection without an answer (a server that went away)."""
        with self._lock:
            self._drops.add(address.lower())

    def refuse_data(self, reply: str, times: int):
        with self._lock:
            self._data_refusals = [reply, times]

    @staticmethod
    def _take(plan):
        if not plan or plan[1] == 0:
            return None
        if plan[1] is not None:
            plan[1] -= 1
        return plan[0]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            self.rcpt_attempts[address.lower()] += 1
            reply = self._take(self._rcpt_refusals.get(address.lower()))
            drop = address.lower() in self._drops
            self._drops.discard(address.lower())
        if drop:
            server.transport.close()
            return "421 4.4.2 Connection dropped"  # never reaches the client: the socket is closed
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.data_attempts.append(message)
            reply = self._take(self._data_refusals)
            if not reply:
                self.accepted.append(message)
                self.peers.append(session.peer)
        return reply or "250 OK"

    # Readers for the tests.
    def accepted_ids(self) -> Counter:
        with self._lock:
            return Counter(m["Message-ID"] for m in self.accepted)

    def offered_ids(self) -> list[str]:
        with self._lock:
            return [m["Message-ID"] for m in self.data_attempts]

    def connections_used(self) -> int:
        with self._lock:
            return len(set(self.peers))

    def attempts_for(self, address: str) -> int:
        with self._lock:
            return self.rcpt_attempts[address.lower()]


@pytest.fixture
def smtp_sink(settings):
    """An SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()


# --- Redis --------------------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server process of our own on a free port; it can be stopped and started again on that port."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode} on port {self.port}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self):
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


@pytest.fixture
def redis_server():
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


def _reset_pools(app):
    # kombu keeps pools in process-wide groups keyed by connection: close *and forget* them, or a later
    # lookup for the same broker URL hands back a closed pool ("Acquire on closed pool").
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_server, monkeypatch):
    """The project's Celery app, pointed at our redis-server for the length of one test.

    Celery reads the CELERY_BROKER_URL environment variable before app.conf.broker_url, so CI's variable (the
    shared Redis on 6379) must be replaced too, or producer and worker would quietly use that one instead.
    """
    app = celery_app
    monkeypatch.setenv("CELERY_BROKER_URL", redis_server.url)
    saved = {
        "broker_url": app.conf.broker_url,
        "broker_transport_options": app.conf.broker_transport_options,
        "worker_hijack_root_logger": app.conf.worker_hijack_root_logger,
    }
    _reset_pools(app)
    app.conf.broker_url = redis_server.url
    app.conf.broker_transport_options = {"socket_connect_timeout": 2, "socket_timeout": 5}
    app.conf.worker_hijack_root_logger = False
    yield app
    _reset_pools(app)
    for key, value in saved.items():
        setattr(app.conf, key, value)


# --- Worker -------------------------------------------------------------------------------------------------


class WorkerHarness:
    """Counts the tasks published and finished, so a test can wait until the worker has nothing left to do."""

    def __init__(self):
        self._cond = threading.Condition()
        self.published = 0
        self.finished = 0
        self.failures = []

    def on_publish(self, **kwargs):
        with self._cond:
            self.published += 1
            self._cond.notify_all()

    def on_postrun(self, **kwargs):
        # The worker thread's own database connection: close it, so no session outlives the test.
        connections.close_all()
        with self._cond:
            self.finished += 1
            self._cond.notify_all()

    def on_failure(self, sender=None, exception=None, **kwargs):
        with self._cond:
            self.failures.append(f"{getattr(sender, 'name', sender)}: {exception!r}")

    def drain(self, timeout: float = DEADLINE_SECONDS):
        """Wait until every task published so far (and those they published) has run."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.finished >= self.published, timeout=max(timeout, 0)):
                pytest.fail(f"worker did not drain: {self.finished} of {self.published} tasks ran")
        assert not self.failures, f"tasks failed in the worker: {self.failures}"

    def relay_until(self, predicate, timeout: float = DEADLINE_SECONDS, what: str = "the expected state"):
        """Run the relay (as beat would) and let the worker work, until predicate() holds or the deadline passes."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                pytest.fail(f"not reached within {timeout} s: {what}")
            relay_outbox.delay()
            self.drain(timeout=deadline - time.monotonic())

    def relay_once_more(self):
        """One more relay round after the goal was reached: anything resent now would be a duplicate."""
        relay_outbox.delay()
        self.drain()


@contextmanager
def running_worker(app):
    harness = WorkerHarness()
    signals.after_task_publish.connect(harness.on_publish, weak=False)
    signals.task_postrun.connect(harness.on_postrun, weak=False)
    signals.task_failure.connect(harness.on_failure, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=15):
            yield harness
    finally:
        signals.after_task_publish.disconnect(harness.on_publish)
        signals.task_postrun.disconnect(harness.on_postrun)
        signals.task_failure.disconnect(harness.on_failure)


@pytest.fixture
def start_outbox_worker(broker, transactional_db):
    """Start the worker when the test says so (after a broker outage, say); it stops at teardown."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(running_worker(broker))


@pytest.fixture
def outbox_worker(start_outbox_worker):
    return start_outbox_worker()


# --- A worker in a process of its own (it can be killed with SIGKILL) ----------------------------------------


def database_url() -> str:
    """The test database, as the application role on PostgreSQL (what a production worker connects as)."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    user = django_settings.DATABASE_APP_ROLE or params["USER"]
    password = f":{params['PASSWORD']}" if params["PASSWORD"] and not django_settings.DATABASE_APP_ROLE else ""
    return f"postgres://{user}{password}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


class WorkerProcess:
    """`celery -A qms worker` (solo pool) on the broker, the test database and an SMTP server, with OUTBOX_*
    settings of the test's choosing; it can be killed with SIGKILL mid-task and started again."""

    def __init__(self, *, broker_url: str, smtp_port: int, **outbox_settings: object):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "qms.settings",
            "DATABASE_URL": database_url(),
            "DATABASE_APP_ROLE": django_settings.DATABASE_APP_ROLE,
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_TIMEOUT": "5",
            "CONN_MAX_AGE": "60",
            **{f"OUTBOX_{name.upper()}": str(value) for name, value in outbox_settings.items()},
        }
        self.process = None

    def start(self):
        command = [sys.executable, "-m", "celery", "-A", "qms", "worker", "-P", "solo", "--without-gossip",
                   "--without-mingle", "--without-heartbeat", "-l", "warning"]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=django_settings.BASE_DIR, env=self.env)
        return self

    def peak_rss_kib(self) -> int:
        """The process's high-water mark of resident memory (VmHWM)."""
        with open(f"/proc/{self.process.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


@pytest.fixture
def worker_process(broker, transactional_db):
    """Make WorkerProcess(es) for the test (each stopped at teardown)."""
    made = []

    def make(**kwargs):
        worker = WorkerProcess(broker_url=broker.conf.broker_url, **kwargs)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.stop()
