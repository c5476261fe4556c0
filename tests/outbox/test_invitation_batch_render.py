"""A worker's batch of survey invitations and reminders: each email carries its own link, a reminder its own words,
and the batch reads the survey's version, questions and invitations a fixed number of times, however many emails."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from qms.outbox.claiming import outbox_claim_batches
from qms.outbox.delivery import outbox_deliver_batch
from qms.outbox.models import OutboxMessage
from qms.outbox.services import email_enqueue_many
from tests.bench.panel import panel
from tests.conftest import every_organisation
from tests.outbox.wave import survey_wave

pytestmark = pytest.mark.django_db(transaction=True)  # each message's transaction is the worker's own


def _deliver_all(settings) -> list[str]:
    """Claim and send everything due in one batch; the statements that read the surveys' tables."""
    settings.OUTBOX_BATCH_SIZE = 1000
    (batch,) = outbox_claim_batches()
    with CaptureQueriesContext(connection) as queries:
        outcomes = outbox_deliver_batch(organization_id=batch[0], message_ids=batch[1])
    assert outcomes["sent"] == len(batch[1])
    return [q["sql"] for q in queries.captured_queries if "surveys_" in q["sql"]]


def test_each_email_of_a_batch_has_its_own_link_and_a_reminder_its_own_words(alpha, mailoutbox, settings):
    panel(alpha, 4)
    survey_wave(alpha)
    with every_organisation():
        first = list(OutboxMessage.objects.filter(organization=alpha.organization).order_by("pk"))
    with transaction.atomic(), alpha.context():
        email_enqueue_many(
            organization=alpha.organization, renderer="survey-invitation",
            rows=[(m.to_email, {**m.context, "reminder": 1, "subject": "Still time to tell us",
                                "body": "Two minutes, please."}) for m in first[:2]],
        )  # fmt: skip
    _deliver_all(settings)

    by_token = {}
    for mail in mailoutbox:
        (token,) = set(re.findall(r"/r/([\w-]+)/", mail.body))
        by_token.setdefault(token, []).append(mail)
        assert f"/u/{token}/" in mail.extra_headers["List-Unsubscribe"]
    assert set(by_token) == {m.context["token"] for m in first}
    reminded = [mail for mail in mailoutbox if mail.subject == "Still time to tell us"]
    assert len(reminded) == 2 and all("Two minutes, please." in mail.body for mail in reminded)
    invited = [mail for mail in mailoutbox if mail.subject == "How did we do?"]
    assert len(invited) == 4 and all("Tell us." in mail.body for mail in invited)


def test_a_batch_reads_the_survey_as_often_for_thirty_emails_as_for_three(alpha, bravo, mailoutbox, settings):
    reads = []
    for tenant, count in ((alpha, 3), (bravo, 30)):
        panel(tenant, count)
        survey_wave(tenant)
        reads.append(len(_deliver_all(settings)))
    assert len(mailoutbox) == 33
    assert reads[0] == reads[1] <= 4  # the invitations, the version and its questions (and the survey's texts)
