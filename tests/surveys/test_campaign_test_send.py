"""A test send to oneself before launch: the campaign's invitation and each of its reminders, one email each, marked
as a test, in the manager's language where the survey speaks it, whose links open the survey's preview; nothing is
recorded against any contact."""

from datetime import date, time

import pytest

from qms.outbox.models import OutboxMessage
from surveys.models import Invitation
from surveys.services.campaigns import campaign_create
from tests.api_client import events
from tests.surveys.builders import GERMAN, build_survey

pytestmark = pytest.mark.django_db

REMINDERS = [
    {"after_days": 4, "subject": {"en": "Still time to tell us", "de": "Noch Zeit für Ihre Meinung"},
     "body": {"en": "Two minutes, please.", "de": "Zwei Minuten, bitte."}},
    {"after_days": 9, "subject": {"en": "Last days to answer", "de": "Letzte Tage"},
     "body": {"en": "The survey closes soon.", "de": "Die Umfrage schließt bald."}},
]  # fmt: skip


def _campaign(tenant, survey):
    with tenant.context():
        return campaign_create(
            organization=tenant.organization, actor=tenant.manager, name="Quarterly NPS", survey=survey,
            audience="segment", audience_value="Retail", every="quarterly", start_on=date(2027, 3, 1),
            at=time(9, 0), expiry_days=30, reminders=REMINDERS,
        )  # fmt: skip


def _tests_sent(tenant, to):
    with tenant.context():
        return list(OutboxMessage.objects.filter(to_email=to, purpose__startswith="campaign-test").order_by("pk"))


def test_the_manager_gets_the_invitation_and_each_reminder_with_links_to_the_preview(alpha, login):
    survey = build_survey(alpha.organization)
    campaign = _campaign(alpha, survey)
    answer = login(alpha.manager).post(f"/o/alpha/campaigns/{campaign.pk}/test/")
    assert answer.status_code == 302
    sent = _tests_sent(alpha, alpha.manager.email)
    assert [m.subject for m in sent] == [
        "[Test] How did we do?", "[Test] Still time to tell us", "[Test] Last days to answer"
    ]  # fmt: skip
    preview = f"/o/alpha/surveys/{survey.pk}/preview/"
    assert all(preview in m.body_text and preview in m.body_html for m in sent)
    assert not any("/r/" in m.body_text or "/u/" in m.body_text for m in sent)
    assert "Two minutes, please." in sent[1].body_text
    with alpha.context():
        assert not Invitation.objects.exists()
    assert [e.changes["emails"][1] for e in events(alpha, "campaign.test_send")] == [3]


def test_a_german_speaking_manager_reads_the_test_in_german_where_the_survey_speaks_it(alpha, login):
    survey = build_survey(alpha.organization, translations={"de": dict(GERMAN)})
    campaign = _campaign(alpha, survey)
    alpha.manager.language = "de"
    alpha.manager.save(update_fields=["language"])
    assert login(alpha.manager).post(f"/o/alpha/campaigns/{campaign.pk}/test/").status_code == 302
    assert [m.subject for m in _tests_sent(alpha, alpha.manager.email)] == [
        "[Test] Wie waren wir?", "[Test] Noch Zeit für Ihre Meinung", "[Test] Letzte Tage"
    ]  # fmt: skip


def test_staff_cannot_send_a_test(alpha, login):
    campaign = _campaign(alpha, build_survey(alpha.organization))
    assert login(alpha.staff).post(f"/o/alpha/campaigns/{campaign.pk}/test/").status_code == 403
    assert _tests_sent(alpha, alpha.staff.email) == []
