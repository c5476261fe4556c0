"""Outbox emails leave through a real Celery worker on a real Redis and arrive at a real SMTP server."""

import pytest
from django.db import transaction

from qms.accounts import emails
from qms.accounts.services import invitation_create
from qms.outbox.models import OutboxMessage
from qms.outbox.tasks import send_outbox_message
from tests.outbox.conftest import outbox_row

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

State = OutboxMessage.State


def _invite(tenant, *addresses) -> list[OutboxMessage]:
    """Invite people the way the members page does; each invitation writes one outbox row in its transaction."""
    with transaction.atomic(), tenant.context():
        for address in addresses:
            invitation_create(organization=tenant.organization, actor=tenant.owner, email=address, role="staff")
        return list(OutboxMessage.objects.filter(organization=tenant.organization, to_email__in=addresses))


def _states(pks) -> list[str]:
    return [outbox_row(pk).state for pk in pks]


def test_each_outbox_email_is_delivered_exactly_once(alpha, smtp_sink, outbox_worker):
    messages = _invite(alpha, "ann@example.com", "bob@example.com", "cy@example.com")
    with transaction.atomic():
        reset = emails.send_password_reset(user=alpha.staff, reset_url="http://testserver/reset/abc/")
    pks = [m.pk for m in messages] + [reset.pk]
    assert len(pks) == 4

    outbox_worker.relay_until(lambda: _states(pks) == [State.SENT] * 4, what="all four messages sent")
    outbox_worker.relay_once_more()

    rows = [outbox_row(pk) for pk in pks]
    assert all(row.state == State.SENT and row.attempts == 1 and row.sent_at for row in rows)
    assert smtp_sink.accepted_ids() == {row.message_id: 1 for row in rows}
    assert {m["To"] for m in smtp_sink.accepted} == {row.to_email for row in rows}


def test_a_send_task_that_arrives_more_than_once_sends_the_email_once(alpha, smtp_sink, outbox_worker):
    (message,) = _invite(alpha, "twice@example.com")
    # A redelivered task (acks_late after a lost worker) or a relay racing an expired lease: the same send twice.
    send_outbox_message.delay(alpha.organization.pk, message.pk)
    send_outbox_message.delay(alpha.organization.pk, message.pk)
    outbox_worker.drain()
    outbox_worker.relay_once_more()

    row = outbox_row(message.pk)
    assert (row.state, row.attempts) == (State.SENT, 1)
    assert smtp_sink.accepted_ids() == {message.message_id: 1}
    assert smtp_sink.attempts_for("twice@example.com") == 1


def test_a_4xx_reply_is_retried_and_then_delivered(alpha, smtp_sink, outbox_worker):
    smtp_sink.refuse_rcpt("slow@example.com", "451 4.3.0 Try again later", times=2)
    (message,) = _invite(alpha, "slow@example.com")

    outbox_worker.relay_until(lambda: outbox_row(message.pk).state == State.SENT, what="the deferred message sent")
    outbox_worker.relay_once_more()

    row = outbox_row(message.pk)
    assert row.attempts == 3
    assert row.last_error == ""
    assert smtp_sink.attempts_for("slow@example.com") == 3
    assert smtp_sink.accepted_ids() == {message.message_id: 1}


def test_a_5xx_reply_marks_the_message_failed_and_it_is_not_retried(alpha, smtp_sink, outbox_worker):
    smtp_sink.refuse_rcpt("nobody@example.com", "550 5.1.1 No such user")
    (message,) = _invite(alpha, "nobody@example.com")

    outbox_worker.relay_until(lambda: outbox_row(message.pk).state == State.FAILED, what="the message failed")
    outbox_worker.relay_once_more()
    outbox_worker.relay_once_more()

    row = outbox_row(message.pk)
    assert row.state == State.FAILED
    assert row.attempts == 1
    assert "550" in row.last_error and "No such user" in row.last_error
    assert row.sent_at is None
    assert smtp_sink.attempts_for("nobody@example.com") == 1
    assert smtp_sink.accepted == []
