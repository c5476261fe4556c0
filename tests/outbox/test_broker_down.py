"""With Redis down, a request that writes an outbox row still answers promptly; the mail leaves once Redis is back."""

import threading
import time

import pytest
from django.db import connections

from qms.outbox.models import OutboxMessage
from tests.outbox.conftest import outbox_row

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

MEMBERS = "/o/alpha/settings/members/"
HANG_GUARD_SECONDS = 5  # guards against a request that waits on the broker; it is not a benchmark


def _invite_with_hang_guard(client, email):
    """POST the invite form in a thread and give up after a while: a request stuck on the broker fails the test
    instead of hanging the suite."""
    outcome = {}

    def request():
        try:
            outcome["response"] = client.post(MEMBERS, {"email": email, "role": "staff", "membership_expires_at": ""})
        except BaseException as exc:  # noqa: BLE001 - handed back to the test below
            outcome["error"] = exc
        finally:
            connections.close_all()

    started = time.monotonic()
    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    thread.join(timeout=30)
    elapsed = time.monotonic() - started
    assert not thread.is_alive(), f"inviting {email} still hangs on the unreachable broker after 30 s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"], elapsed


def _pending(tenant, email) -> OutboxMessage:
    with tenant.context():
        message = OutboxMessage.objects.get(organization=tenant.organization, to_email=email)
    assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, 0)
    return message


def test_invitations_are_accepted_while_redis_is_down_and_mailed_once_it_is_back(
    alpha, login, redis_server, broker, smtp_sink, start_outbox_worker
):
    owner = login(alpha.owner)
    # The site has been working (imports, templates and a broker connection are warm); then Redis goes away.
    response, _ = _invite_with_hang_guard(owner, "early@example.com")
    assert response.status_code == 302
    redis_server.stop()

    # The first request after the outage meets the pooled connection broken; the next one has to reconnect.
    while_down = ["newcomer@example.com", "latecomer@example.com"]
    for email in while_down:
        response, elapsed = _invite_with_hang_guard(owner, email)
        assert response.status_code == 302
        assert response["Location"] == MEMBERS
        assert elapsed < HANG_GUARD_SECONDS, f"inviting {email} took {elapsed:.1f} s with the broker down"
    messages = [_pending(alpha, email) for email in ["early@example.com", *while_down]]
    assert smtp_sink.data_attempts == []

    redis_server.start()
    worker = start_outbox_worker()
    worker.relay_until(
        lambda: all(outbox_row(m.pk).state == OutboxMessage.State.SENT for m in messages),
        what="the invitations sent after Redis came back",
    )
    worker.relay_once_more()

    assert smtp_sink.accepted_ids() == {m.message_id: 1 for m in messages}
    assert sorted(m["To"] for m in smtp_sink.accepted) == sorted(m.to_email for m in messages)
