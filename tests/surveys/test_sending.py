"""A one-off send: one invitation per contact that may be emailed, set-based, mailed through the outbox."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.models import Contact
from qms.outbox.models import OutboxMessage
from qms.outbox.services import outbox_deliver
from surveys.models import Invitation, Survey, SurveySend
from surveys.services.sending import contacts_for, survey_send
from tests.surveys.builders import GERMAN, build_survey

pytestmark = pytest.mark.django_db


def _send(tenant, survey, people, **kwargs):
    with tenant.context():
        chosen = contacts_for(organization=tenant.organization, contact_ids=[c.pk for c in people])
        return survey_send(survey=survey, actor=tenant.manager, contacts=chosen, **kwargs)


def test_it_invites_each_contact_that_may_be_emailed_and_counts_the_others(alpha, contacts):
    survey = build_survey(alpha.organization)
    invited = contacts(3)
    opted_out = contacts(1, consent=Contact.Consent.OPTED_OUT)
    no_email = contacts(1, email="")
    send = _send(alpha, survey, invited + opted_out + no_email)
    with alpha.context():
        invitations = list(Invitation.objects.filter(send=send))
        assert sorted(i.contact_id for i in invitations) == sorted(c.pk for c in invited)
        assert send.invited == 3 and send.skipped == {"opted_out": 1, "no_email": 1}
        survey.refresh_from_db()
        assert survey.status == Survey.Status.OPEN
        assert survey.versions.get().locked_at is not None
        messages = OutboxMessage.objects.filter(pk__in=[i.message_id for i in invitations])
        assert {m.renderer for m in messages} == {"survey-invitation"} and {m.subject for m in messages} == {""}
        assert len({m.message_id for m in messages}) == 3
        assert all(len(i.token_hash) == 64 for i in invitations)


def test_the_number_of_queries_does_not_grow_with_the_audience(alpha, contacts):
    counts = []
    for n in (2, 20):
        survey = build_survey(alpha.organization)
        people = contacts(n)
        with alpha.context(), CaptureQueriesContext(connection) as queries:
            survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
                organization=alpha.organization, contact_ids=[c.pk for c in people]))  # fmt: skip
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_send_is_refused_while_a_language_its_contacts_read_is_incomplete_naming_the_texts(alpha, contacts):
    partial = {key: value for key, value in GERMAN.items() if key != "q.fix.text"}
    survey = build_survey(alpha.organization, translations={"de": partial})
    people = contacts(2, preferred_language="de")
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        _send(alpha, survey, people)
    assert "q.fix.text" in str(refused.value) and "What should we improve?" in str(refused.value)
    with alpha.context():
        assert not Invitation.objects.exists() and not SurveySend.objects.exists()


def test_a_language_without_any_translation_is_refused_too(alpha, contacts):
    survey = build_survey(alpha.organization)
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        _send(alpha, survey, contacts(1, preferred_language="pl"))
    assert "pl" in str(refused.value) and "q.nps.text" in str(refused.value)


def test_a_complete_translation_lets_the_send_go_and_the_invitation_is_in_the_contacts_language(alpha, contacts):
    survey = build_survey(alpha.organization, translations={"de": GERMAN})
    send = _send(alpha, survey, contacts(1, preferred_language="de"))
    with alpha.context():
        assert Invitation.objects.get(send=send).language == "de"


def test_the_worker_writes_the_email_with_the_scale_as_links_and_a_one_click_unsubscribe(alpha, contacts, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    survey = build_survey(alpha.organization, translations={"de": GERMAN})
    send = _send(alpha, survey, contacts(1, preferred_language="de"))
    with alpha.context():
        invitation = Invitation.objects.get(send=send)
        assert outbox_deliver(message_id=invitation.message_id) == "sent"
    email = mail.outbox[-1]
    assert email.subject == "Wie waren wir?"
    assert "Wie wahrscheinlich empfehlen Sie uns weiter?" in email.body
    links = [line for line in email.body.splitlines() if "/r/" in line]
    assert len(links) == 12  # the scale 0–10 and the button
    assert links[8].startswith("8: ") and links[8].endswith("?s=8")
    unsubscribe = email.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http") and "/u/" in unsubscribe
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert alpha.organization.name in email.extra_headers["From"]
    token = links[-1].rsplit("/r/", 1)[1].strip("/")
    assert 22 <= len(token) <= 24  # 128 bits, URL-safe: a short link
    with alpha.context():
        assert OutboxMessage.objects.get(pk=invitation.message_id).subject == "Wie waren wir?"  # what was sent is kept


def test_an_idempotency_key_cannot_be_used_by_two_sends(alpha, contacts):
    survey = build_survey(alpha.organization)
    people = contacts(1)
    _send(alpha, survey, people, idempotency_key="order-42")
    with pytest.raises(ValidationError), transaction.atomic():
        _send(alpha, survey, people, idempotency_key="order-42")
