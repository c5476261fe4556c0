"""With Redis down, a request that writes an outbox row still answers at once; the mail leaves once Redis is back."""

import threading
import time

import pytest
from django.db import connections

from qms.outbox.models import OutboxMessage
from tests.outbox.conftest import outbox_row

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

HANG_GUARD_SECONDS = 5  # guards against a request that waits on the broker; it is not a benchmark


def _post_with_hang_guard(client, path, data):
    """POST in a thread and give up after a while, so a request stuck on the broker fails the test, not hangs it."""
    outcome = {}

    def request():
        try:
            outcome["response"] = client.post(path, data)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test below
            outcome["error"] = exc
        finally:
            connections.close_all()

    started = time.monotonic()
    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    thread.join(timeout=30)
    elapsed = time.monotonic() - started
    assert not thread.is_alive(), "the request still hangs on the unreachable broker after 30 s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"], elapsed


def test_an_invitation_is_accepted_while_redis_is_down_and_mailed_once_it_is_back(
    alpha, login, redis_server, broker, smtp_sink, start_outbox_worker
):
    redis_server.stop()

    response, elapsed = _post_with_hang_guard(
        login(alpha.owner),
        "/o/alpha/settings/members/",
        {"email": "newcomer@example.com", "role": "staff", "membership_expires_at": ""},
    )

    print("ELAPSED", elapsed)
    assert response.status_code == 302
    assert response["Location"] == "/o/alpha/settings/members/"
    assert elapsed < HANG_GUARD_SECONDS
    with alpha.context():
        message = OutboxMessage.objects.get(organization=alpha.organization, to_email="newcomer@example.com")
    assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, 0)
    assert smtp_sink.data_attempts == []

    redis_server.start()
    worker = start_outbox_worker()
    worker.relay_until(lambda: outbox_row(message.pk).state == OutboxMessage.State.SENT, what="the invitation sent")
    worker.relay_once_more()

    assert smtp_sink.accepted_ids() == {message.message_id: 1}
    assert smtp_sink.accepted[0]["To"] == "newcomer@example.com"
