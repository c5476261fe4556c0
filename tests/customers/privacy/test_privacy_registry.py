"""The privacy registry: the contact export and erasure loop over every app's registered handlers, so a module
adds what it holds about a person without the directory knowing it exists."""

import json

import pytest

from customers import privacy
from customers.privacy import Erased, HeldData
from qms.audit.models import AuditEvent, PersonalDataKey
from qms.audit.sealing import Seal
from qms.audit.services import audit_record
from tests.factories import ContactFactory


class SurveyAnswers:
    """What a module not written yet would register: its own section, consent it recorded, and its erasure."""

    def __init__(self):
        self.erased_with = None

    def export(self, *, organization, contact):
        return HeldData(
            sections={"survey_answers": [{"question": "How likely…", "answer": 9}]},
            consent_history=[{"at": contact.created_at, "by": "survey", "action": "survey.consent"}],
        )

    def erasure_summary(self, *, organization, contact):
        return "their 1 survey answer"

    def erase(self, *, organization, contact, identifiers, actor):
        self.erased_with = identifiers
        return Erased(subjects=["surveys.response:41"], emails=["ADA@old-address.example"], counts={"answers": 1})


@pytest.fixture
def answers(monkeypatch):
    handler = SurveyAnswers()
    registered = privacy.handlers()
    monkeypatch.setattr(privacy, "privacy_handlers", lambda: [*registered, handler])
    return handler


@pytest.fixture
def ada(alpha):
    return ContactFactory(
        customer__organization=alpha.organization, name="Ada Lovelace", email="ada@lovelace.example", phone=""
    )


def test_the_feedback_inbox_and_the_surveys_are_registered_as_handlers():
    assert [type(handler).__name__ for handler in privacy.handlers()] == ["FeedbackPrivacy", "SurveyPrivacy"]


def test_the_export_holds_every_handlers_section_and_consent(alpha, login, ada, answers):
    response = login(alpha.manager).get(f"/o/alpha/contacts/{ada.pk}/export.json")
    data = json.loads(response.content)
    assert data["survey_answers"] == [{"question": "How likely…", "answer": 9}]
    assert data["feedback"] == []
    assert [entry["action"] for entry in data["consent_history"]] == ["survey.consent"]


def test_the_erase_page_says_what_each_handler_removes(alpha, login, ada, answers):
    page = login(alpha.manager).get(f"/o/alpha/contacts/{ada.pk}/erase/").content.decode()
    assert "their 1 survey answer" in page and "feedback item" in page


def test_erasure_runs_every_handler_and_shreds_the_keys_they_name(alpha, login, ada, answers):
    with alpha.context():
        audit_record(
            organization=alpha.organization,
            actor=alpha.manager,
            action="survey.answer",
            object_type="surveys.response",
            object_id="41",
            changes={"comment": [None, "Ada says hi"]},
            personal=Seal(fields=("comment",), subjects=("surveys.response:41",)),
        )
    client = login(alpha.manager)
    assert "Ada says hi" in client.get("/o/alpha/audit/").content.decode()
    assert client.post(f"/o/alpha/contacts/{ada.pk}/erase/").status_code == 302
    assert answers.erased_with == ["ada@lovelace.example", "Ada Lovelace"]
    with alpha.context():
        tombstone = AuditEvent.objects.get(organization=alpha.organization, action="contact.erase")
        assert not PersonalDataKey.objects.filter(organization=alpha.organization, subject="surveys.response:41")
    assert tombstone.changes["answers"] == [None, 1]
    assert "Ada says hi" not in client.get("/o/alpha/audit/").content.decode()
