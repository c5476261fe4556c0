"""A manager closes a survey (its links stop taking answers, it cannot be sent) and reopens it; and revokes a send's
invitations, all unanswered ones or one: their links say so, their emails that have not left are withdrawn, an
answer already given stays, and each is one audited event."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from qms.audit.models import AuditEvent
from qms.outbox.models import OutboxMessage
from qms.outbox.services import outbox_deliver
from surveys.models import Invitation, Response, Survey
from surveys.services.invitations import invitations_revoke
from surveys.services.sending import contacts_for, survey_send
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db

ONE_PAGE = [{"code": "nps", "kind": "nps", "text": "Recommend?", "required": True}]


@pytest.fixture
def sent(alpha, contacts):
    """A one-page survey sent to three contacts: (survey, send, [(invitation, token)])."""
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    people = contacts(3)
    with alpha.context():
        send = survey_send(
            survey=survey, actor=alpha.manager,
            contacts=contacts_for(organization=alpha.organization, contact_ids=[p.pk for p in people]),
        )  # fmt: skip
        invitations = list(Invitation.objects.filter(send=send).select_related("message").order_by("pk"))
    return survey, send, [(i, i.message.context["token"]) for i in invitations]


def _link(token):
    return reverse("links:survey_response", kwargs={"token": token})


def _answer(client, token, score="9"):
    return client.post(_link(token), {"page": "0", "action": "submit", "q_nps": score})


def test_a_closed_survey_takes_no_answer_and_cannot_be_sent_until_reopened(alpha, login, client, sent, contacts):
    survey, _send, invitations = sent
    manager = login(alpha.manager)
    page = f"/o/alpha/surveys/{survey.pk}/"
    assert "Close the survey" in manager.get(page).content.decode()
    assert manager.post(f"{page}close/").status_code == 302
    with alpha.context():
        assert Survey.objects.get(pk=survey.pk).status == Survey.Status.CLOSED
    _invitation, token = invitations[0]
    closed = _answer(client, token)
    assert closed.status_code == 410
    with alpha.context():
        assert not Response.objects.exists()
        with pytest.raises(ValidationError):
            survey_send(survey=Survey.objects.get(pk=survey.pk), actor=alpha.manager, contacts=contacts_for(
                organization=alpha.organization, contact_ids=[contacts(1)[0].pk]))  # fmt: skip
    assert "Reopen the survey" in manager.get(page).content.decode()
    assert manager.post(f"{page}reopen/").status_code == 302
    assert _answer(client, token).status_code == 302
    with alpha.context():
        assert Response.objects.count() == 1
        actions = list(AuditEvent.objects.filter(object_id=str(survey.pk)).values_list("action", flat=True))
    assert {"survey.close", "survey.reopen"} <= set(actions)


def test_closing_a_closed_survey_says_why_and_changes_nothing(alpha, login, sent):
    survey, _send, _invitations = sent
    manager = login(alpha.manager)
    manager.post(f"/o/alpha/surveys/{survey.pk}/close/")
    again = manager.post(f"/o/alpha/surveys/{survey.pk}/close/", follow=True)
    assert "Only an open survey can be closed." in again.content.decode()


def test_staff_may_not_close_a_survey(alpha, login, sent):
    survey, _send, _invitations = sent
    assert login(alpha.staff).post(f"/o/alpha/surveys/{survey.pk}/close/").status_code == 403
    with alpha.context():
        assert Survey.objects.get(pk=survey.pk).status == Survey.Status.OPEN


def test_revoking_a_send_stops_its_unanswered_links_and_withdraws_the_emails_not_sent(alpha, login, client, sent):
    _survey, send, invitations = sent
    (answered, answered_token), (mailed, mailed_token), (waiting, waiting_token) = invitations
    assert _answer(client, answered_token).status_code == 302
    with alpha.context():
        assert outbox_deliver(message_id=mailed.message_id) == "sent"  # this one has left
    page = f"/o/alpha/surveys/{send.survey_id}/sends/{send.pk}/"
    manager = login(alpha.manager)
    assert "Revoke unanswered invitations" in manager.get(page).content.decode()
    done = manager.post(f"{page}revoke/", follow=True)
    assert "2 invitations revoked; 1 email withdrawn before it was sent." in done.content.decode()
    with alpha.context():
        states = dict(OutboxMessage.objects.filter(pk__in=[i.message_id for i, _t in invitations]).values_list(
            "pk", "state"))  # fmt: skip
        assert states[waiting.message_id] == OutboxMessage.State.CANCELLED
        assert states[mailed.message_id] == OutboxMessage.State.SENT
        assert outbox_deliver(message_id=waiting.message_id) == "skipped"  # the worker no longer sends it
        revoked = set(Invitation.objects.filter(send=send, revoked_at__isnull=False).values_list("pk", flat=True))
        assert revoked == {mailed.pk, waiting.pk}
        assert Response.objects.count() == 1  # the answer given stays
        event = AuditEvent.objects.get(action="invitation.revoke")
    assert event.changes == {"revoked": [None, 2], "emails_withdrawn": [None, 1]}
    gone = client.get(_link(mailed_token))
    assert gone.status_code == 410
    assert _answer(client, mailed_token).status_code == 410
    assert "Every invitation of this send was already answered or revoked." in manager.post(
        f"{page}revoke/", follow=True).content.decode()  # fmt: skip


def test_one_invitation_is_revoked_by_itself(alpha, login, sent):
    _survey, send, invitations = sent
    target, _token = invitations[1]
    page = f"/o/alpha/surveys/{send.survey_id}/sends/{send.pk}/"
    response = login(alpha.manager).post(f"{page}revoke/", {"invitation": target.pk}, follow=True)
    assert "1 invitation revoked; 1 email withdrawn before it was sent." in response.content.decode()
    with alpha.context():
        assert list(Invitation.objects.filter(send=send, revoked_at__isnull=False).values_list("pk", flat=True)) == [
            target.pk
        ]


def test_an_invitation_of_another_send_or_no_number_is_not_revoked(alpha, login, sent, contacts):
    _survey, send, _invitations = sent
    other = survey_send_one(alpha, contacts)
    page = f"/o/alpha/surveys/{send.survey_id}/sends/{send.pk}/revoke/"
    manager = login(alpha.manager)
    assert manager.post(page, {"invitation": other.pk}).status_code == 404
    assert "Choose an invitation" in manager.post(page, {"invitation": "x"}, follow=True).content.decode()
    with alpha.context():
        assert not Invitation.objects.filter(revoked_at__isnull=False).exists()


def test_an_answer_submitted_after_the_revocation_is_refused_by_the_compare_and_swap(alpha, client, sent):
    _survey, send, invitations = sent
    invitation, token = invitations[0]
    with alpha.context():
        assert invitations_revoke(send=send, actor=alpha.manager, invitation=invitation) == (1, 1)
    assert _answer(client, token).status_code == 410
    with alpha.context():
        assert not Response.objects.exists()


def survey_send_one(tenant, contacts):
    survey = build_survey(tenant.organization, questions=ONE_PAGE, name="Another")
    with tenant.context():
        send = survey_send(survey=survey, actor=tenant.manager, contacts=contacts_for(
            organization=tenant.organization, contact_ids=[contacts(1)[0].pk]))  # fmt: skip
        return Invitation.objects.get(send=send)


def test_another_organisation_cannot_close_or_revoke_it(alpha, bravo, login, sent):
    survey, send, _invitations = sent
    outsider = login(bravo.manager)
    for path in (f"/o/bravo/surveys/{survey.pk}/close/", f"/o/bravo/surveys/{survey.pk}/sends/{send.pk}/revoke/"):
        assert outsider.post(path).status_code == 404, path
    with alpha.context():
        assert Survey.objects.get(pk=survey.pk).status == Survey.Status.OPEN
        assert not Invitation.objects.filter(send=send, revoked_at__isnull=False).exists()
