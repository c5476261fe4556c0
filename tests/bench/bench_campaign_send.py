"""A campaign wave's delivery: N invitations (BENCH_CAMPAIGN_N, default 10,000) written as a wave writes them (the
surveys' sending service: email_enqueue_many with the surveys renderer, due now), sent by real Celery worker
processes (BENCH_CAMPAIGN_WORKERS, default one per core, as `celery worker` runs by default; solo pool each) on
Redis and PostgreSQL into a local aiosmtpd sink (a process of its own), against a raw smtplib loop over one
connection into the same sink sending N of the same emails, already built as bytes (the SMTP transfer alone), in
the same run.

Prints: the ratio of the workers' time to the loop's (target at most 2x); the ratio of N's time to N/10's (target
at most 11x: no super-linear step); each run's worker peak RSS (flat memory); and the pickup after a kill -9 of a
worker in the middle of a wave: the seconds from the kill to the first email the restarted worker sends (its boot,
the lease running out, beat's relay every OUTBOX_RELAY_SECONDS), with the project's lease settings: the restarted
worker's first email (from a batch that was still queued) and the wave's last (the killed batch's rest).
Run with `make bench`. No timing assertion (these machines are noisy).
"""

import os
import smtplib
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from qms import celery_app
from qms.outbox.delivery import email_of
from qms.outbox.models import OutboxMessage
from qms.outbox.tasks import relay_outbox
from tests.bench.panel import panel
from tests.conftest import every_organisation
from tests.outbox.conftest import WorkerProcess, broker, free_port, redis_server  # noqa: F401 - fixtures
from tests.outbox.wave import survey_wave

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

N = int(os.environ.get("BENCH_CAMPAIGN_N", "10000"))
WORKERS = int(os.environ.get("BENCH_CAMPAIGN_WORKERS", str(os.cpu_count() or 1)))
KILL_WAVE = N // 10  # the small run's contacts, invited again
BEAT_SECONDS = settings.CELERY_BEAT_SCHEDULE["outbox-relay"]["schedule"]


@pytest.fixture
def sink_port():
    port = free_port()
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


def _sent(organization) -> int:
    with every_organisation():
        return OutboxMessage.objects.filter(organization=organization, state=OutboxMessage.State.SENT).count()


def _workers(broker_url, port, count=WORKERS):
    workers = [WorkerProcess(broker_url=broker_url, smtp_port=port).start() for _n in range(count)]
    deadline = time.monotonic() + 60
    while len(celery_app.control.ping(timeout=0.5) or []) < count:
        assert time.monotonic() < deadline, "the workers did not start"
    return workers


def _pending(organization) -> bool:
    """Whether any of the organisation's emails waits (one probe of the due index, however long the wave)."""
    with every_organisation():
        return OutboxMessage.objects.filter(organization=organization, state=OutboxMessage.State.PENDING).exists()


def _wait_sent(organization, count=None, *, since: float, timeout: float = 1800) -> float:
    """Seconds from `since` until `count` of the organisation's emails were sent, or (no count) none waits; beat's
    relay plays meanwhile."""
    next_beat = time.monotonic() + BEAT_SECONDS
    while _pending(organization) if count is None else _sent(organization) < count:
        assert time.monotonic() - since < timeout, f"{_sent(organization)} of {count} sent"
        if time.monotonic() >= next_beat:
            relay_outbox.delay()
            next_beat += BEAT_SECONDS
        time.sleep(0.02 if count is None else 0.2)
    return time.monotonic() - since


def _wave_seconds(tenant, n, broker_url, port) -> tuple[float, int]:
    panel(tenant, n)
    workers = _workers(broker_url, port)
    try:
        start = time.monotonic()
        survey_wave(tenant)  # commits the wave, nudging the relay
        seconds = _wait_sent(tenant.organization, since=start)
        assert _sent(tenant.organization) == n
        return seconds, max(worker.peak_rss_kib() for worker in workers)
    finally:
        for worker in workers:
            worker.stop()


def _raw_seconds(tenant, n, port) -> float:
    with every_organisation():
        rows = list(OutboxMessage.objects.filter(organization=tenant.organization).order_by("pk")[:200])
    emails = [(row.to_email, email_of(row).message().as_bytes(linesep="\r\n")) for row in rows]
    start = time.monotonic()
    client = smtplib.SMTP("127.0.0.1", port)
    for i in range(n):
        to, data = emails[i % len(emails)]
        client.sendmail("no-reply@closeloop.local", [to], data)
    client.quit()
    return time.monotonic() - start


def _pickup_seconds(tenant, broker_url, port) -> tuple[float, float]:
    """Kill -9 a worker a third into a wave to the tenant's contacts, start another: seconds to its first email (a
    batch still queued), and to the wave's end (the killed batch's rest, claimed again once its lease ran out)."""
    before = _sent(tenant.organization)
    (first,) = _workers(broker_url, port, count=1)
    start = time.monotonic()
    survey_wave(tenant, name="Killed wave")
    _wait_sent(tenant.organization, before + KILL_WAVE // 3, since=start)
    first.kill()
    killed = time.monotonic()
    at_kill = _sent(tenant.organization)
    second = WorkerProcess(broker_url=broker_url, smtp_port=port).start()
    try:
        pickup = _wait_sent(tenant.organization, at_kill + 1, since=killed, timeout=300)
        done = _wait_sent(tenant.organization, since=killed, timeout=600)
    finally:
        second.stop()
    with every_organisation():
        assert not OutboxMessage.objects.filter(organization=tenant.organization).exclude(state="sent").exists()
    return pickup, done


def test_bench_a_campaign_wave_through_the_workers_against_a_raw_smtp_loop(alpha, bravo, broker, sink_port):  # noqa: F811
    url = broker.conf.broker_url
    small_seconds, small_rss = _wave_seconds(bravo, N // 10, url, sink_port)
    big_seconds, big_rss = _wave_seconds(alpha, N, url, sink_port)
    raw = _raw_seconds(alpha, N, sink_port)
    pickup, done = _pickup_seconds(bravo, url, sink_port)
    print(
        f"\n[bench] a wave of {N} invitations ({connection.vendor}, {WORKERS} worker(s), batches of "
        f"{settings.OUTBOX_BATCH_SIZE}): workers {big_seconds:.2f} s ({N / big_seconds:.0f}/s), raw smtplib loop over "
        f"one connection {raw:.2f} s ({N / raw:.0f}/s); ratio {big_seconds / raw:.2f}x (target <= 2x)\n"
        f"[bench] {N} against {N // 10}: {big_seconds:.2f} s / {small_seconds:.2f} s = "
        f"{big_seconds / small_seconds:.2f}x for 10x (target <= 11x); worker peak RSS {big_rss / 1024:.0f} MiB "
        f"({N}) and {small_rss / 1024:.0f} MiB ({N // 10})\n"
        f"[bench] kill -9 of a worker a third into a wave of {KILL_WAVE}: the restarted worker's first email "
        f"{pickup:.1f} s after the kill, the killed batch's rest picked up and the wave done {done:.1f} s after it"
        f" (lease {settings.OUTBOX_LEASE_SECONDS} s, renewed every "
        f"{settings.OUTBOX_LEASE_RENEW_SECONDS} s, beat every {BEAT_SECONDS:.0f} s)"
    )
