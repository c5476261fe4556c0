"""The outbox services without a worker: failure classification, send-once, stable Message-ID, attempt cap,
leasing, manual retry, and the delivery log that shows failures to managers."""

import smtplib
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from qms.accounts import emails
from qms.outbox.models import OutboxMessage
from qms.outbox.services import is_permanent, outbox_claim_due, outbox_deliver, outbox_retry
from tests.conftest import every_organisation
from tests.factories import OutboxMessageFactory
from tests.outbox.conftest import outbox_row

State = OutboxMessage.State


# --- Classification -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 No such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"4.3.0 Try again later")}), False),
        (
            smtplib.SMTPRecipientsRefused(
                {"a@example.com": (550, b"5.1.1 No such user"), "b@example.com": (452, b"4.2.2 Mailbox full")}
            ),
            False,
        ),
        (smtplib.SMTPDataError(554, b"5.7.1 Message rejected"), True),
        (smtplib.SMTPDataError(452, b"4.3.1 Insufficient system storage"), False),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "no-reply@closeloop.local"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
    ],
    ids=[
        "rcpt-550",
        "rcpt-451",
        "rcpt-mixed",
        "data-554",
        "data-452",
        "sender-553",
        "disconnected",
        "refused",
        "timeout",
    ],
)
def test_smtp_5xx_is_permanent_and_4xx_or_a_network_error_is_temporary(error, permanent):
    assert is_permanent(error) is permanent


# --- Delivery -----------------------------------------------------------------------------------------------


@pytest.fixture
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


def test_delivering_the_same_message_twice_sends_it_once(alpha, locmem_email):
    message = OutboxMessageFactory(organization=alpha.organization, to_email="ann@example.com")

    with alpha.context():
        assert outbox_deliver(message_id=message.pk) == "sent"
        assert outbox_deliver(message_id=message.pk) == "skipped"

    assert len(locmem_email) == 1
    assert locmem_email[0].to == ["ann@example.com"]
    assert locmem_email[0].extra_headers["Message-ID"] == message.message_id
    row = outbox_row(message.pk)
    assert (row.state, row.attempts) == (State.SENT, 1)
    assert row.sent_at is not None


def test_a_failed_message_is_not_sent_by_a_late_delivery_task(alpha, locmem_email):
    message = OutboxMessageFactory(organization=alpha.organization, state=State.FAILED, attempts=1)

    with alpha.context():
        assert outbox_deliver(message_id=message.pk) == "skipped"

    assert locmem_email == []
    assert outbox_row(message.pk).attempts == 1


def test_the_message_id_header_is_the_rows_stable_message_id_across_a_retry(alpha, smtp_sink):
    smtp_sink.refuse_data("451 4.3.0 Try again later", times=1)
    message = OutboxMessageFactory(organization=alpha.organization, to_email="ann@example.com")

    with alpha.context():
        assert outbox_deliver(message_id=message.pk) == State.PENDING
        deferred = outbox_row(message.pk)
        assert outbox_deliver(message_id=message.pk) == "sent"

    assert deferred.attempts == 1 and "451" in deferred.last_error
    assert deferred.lease_until is None and deferred.next_attempt_at <= timezone.now()
    assert smtp_sink.offered_ids() == [message.message_id, message.message_id]
    assert smtp_sink.accepted_ids() == {message.message_id: 1}
    row = outbox_row(message.pk)
    assert (row.state, row.attempts, row.last_error) == (State.SENT, 2, "")


def test_a_4xx_that_never_clears_marks_the_message_failed_after_the_attempt_cap(alpha, smtp_sink, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    smtp_sink.refuse_rcpt("full@example.com", "452 4.2.2 Mailbox full")
    message = OutboxMessageFactory(organization=alpha.organization, to_email="full@example.com")

    with alpha.context():
        outcomes = [outbox_deliver(message_id=message.pk) for _ in range(4)]

    assert outcomes == [State.PENDING, State.PENDING, State.FAILED, "skipped"]
    row = outbox_row(message.pk)
    assert (row.state, row.attempts) == (State.FAILED, 3)
    assert "452" in row.last_error and "Mailbox full" in row.last_error
    assert smtp_sink.attempts_for("full@example.com") == 3


def test_a_5xx_marks_the_message_failed_on_the_first_attempt(alpha, smtp_sink):
    smtp_sink.refuse_rcpt("nobody@example.com", "550 5.1.1 No such user")
    message = OutboxMessageFactory(organization=alpha.organization, to_email="nobody@example.com")

    with alpha.context():
        assert outbox_deliver(message_id=message.pk) == State.FAILED

    row = outbox_row(message.pk)
    assert row.attempts == 1 < settings.OUTBOX_MAX_ATTEMPTS
    assert "550" in row.last_error


# --- Leasing and manual retry -------------------------------------------------------------------------------


def test_claiming_leases_every_due_message_of_every_organisation_and_does_not_return_it_twice(alpha, bravo):
    now = timezone.now()
    org_a, org_b = alpha.organization, bravo.organization
    due_alpha = OutboxMessageFactory(organization=org_a)
    due_bravo = OutboxMessageFactory(organization=org_b)
    lease_expired = OutboxMessageFactory(organization=org_a, lease_until=now - timedelta(seconds=1))
    OutboxMessageFactory(organization=org_a, next_attempt_at=now + timedelta(minutes=5))
    OutboxMessageFactory(organization=org_a, lease_until=now + timedelta(minutes=1))
    OutboxMessageFactory(organization=org_a, state=State.SENT)
    OutboxMessageFactory(organization=org_b, state=State.FAILED)
    system = emails.send_password_reset(user=alpha.staff, reset_url="http://testserver/reset/abc/")

    claimed = outbox_claim_due()

    assert sorted(claimed, key=lambda pair: pair[1]) == [
        (org_a.pk, due_alpha.pk),
        (org_b.pk, due_bravo.pk),
        (org_a.pk, lease_expired.pk),
        (None, system.pk),
    ]
    lease = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    for _, pk in claimed:
        assert abs(outbox_row(pk).lease_until - lease) < timedelta(seconds=10)
    assert outbox_claim_due() == []


def test_claiming_honours_the_limit(alpha):
    for _ in range(3):
        OutboxMessageFactory(organization=alpha.organization)

    assert len(outbox_claim_due(limit=2)) == 2
    assert len(outbox_claim_due(limit=2)) == 1
    assert outbox_claim_due(limit=2) == []


def test_retry_puts_a_failed_message_back_in_the_queue(alpha):
    failed = OutboxMessageFactory(
        organization=alpha.organization,
        state=State.FAILED,
        attempts=8,
        last_error="SMTPRecipientsRefused: 550",
        next_attempt_at=timezone.now() + timedelta(hours=1),
        lease_until=timezone.now() + timedelta(minutes=1),
    )
    sent = OutboxMessageFactory(organization=alpha.organization, state=State.SENT, attempts=1)

    with alpha.context():
        outbox_retry(message=failed)
        outbox_retry(message=sent)

    row = outbox_row(failed.pk)
    assert (row.state, row.attempts, row.lease_until) == (State.PENDING, 0, None)
    assert row.next_attempt_at <= timezone.now()
    assert outbox_row(sent.pk).state == State.SENT
    assert outbox_claim_due() == [(alpha.organization.pk, failed.pk)]


# --- Delivery log -------------------------------------------------------------------------------------------


@pytest.fixture
def failed_email(alpha):
    return OutboxMessageFactory(
        organization=alpha.organization,
        to_email="typo@exampel.com",
        subject="You are invited",
        state=State.FAILED,
        attempts=1,
        last_error="SMTPRecipientsRefused: 550 5.1.1 No such user here",
    )


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_a_manager_sees_a_failed_email_with_its_error_in_the_delivery_log(alpha, bravo, login, failed_email, role):
    OutboxMessageFactory(organization=bravo.organization, to_email="secret@bravo.test", state=State.FAILED)

    response = login(alpha.member(role)).get("/o/alpha/settings/email/?state=failed")

    assert response.status_code == 200
    page = response.content.decode()
    assert "typo@exampel.com" in page
    assert "550 5.1.1 No such user here" in page
    assert f"/o/alpha/settings/email/{failed_email.pk}/retry/" in page
    assert "secret@bravo.test" not in page


def test_a_manager_retries_a_failed_email_from_the_delivery_log(alpha, login, failed_email):
    response = login(alpha.manager).post(f"/o/alpha/settings/email/{failed_email.pk}/retry/")

    assert response.status_code == 302
    assert response["Location"] == "/o/alpha/settings/email/"
    row = outbox_row(failed_email.pk)
    assert (row.state, row.attempts) == (State.PENDING, 0)


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_staff_and_auditors_may_neither_see_the_delivery_log_nor_retry(alpha, login, failed_email, role):
    client = login(alpha.member(role))

    assert client.get("/o/alpha/settings/email/").status_code == 403
    assert client.post(f"/o/alpha/settings/email/{failed_email.pk}/retry/").status_code == 403
    assert outbox_row(failed_email.pk).state == State.FAILED


def test_another_organisations_email_cannot_be_retried(alpha, bravo, login):
    theirs = OutboxMessageFactory(organization=bravo.organization, state=State.FAILED, attempts=1)

    response = login(alpha.manager).post(f"/o/alpha/settings/email/{theirs.pk}/retry/")

    assert response.status_code == 404
    with every_organisation():
        assert OutboxMessage.objects.get(pk=theirs.pk).state == State.FAILED
