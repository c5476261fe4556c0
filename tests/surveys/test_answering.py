"""The customer's side: /r/<token>/ shows the survey, records nothing on GET, keeps each page, records once."""

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import AnonymousSubmission, Invitation, PartialResponse, Response
from surveys.services.sending import contacts_for, survey_send
from tests.surveys.builders import GERMAN, build_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(alpha, contacts, monkeypatch):
    """Send a survey to one contact and hand back the link's token (read from the outbox row's context)."""

    def make(survey, **contact_fields):
        person = contacts(1, **contact_fields)[0]
        with alpha.context():
            send = survey_send(
                survey=survey, actor=alpha.manager,
                contacts=contacts_for(organization=alpha.organization, contact_ids=[person.pk]),
            )  # fmt: skip
            invitation = Invitation.objects.select_related("message").get(send=send)
        return invitation, invitation.message.context["token"]

    return make


def url(token, **query):
    path = reverse("links:survey_response", kwargs={"token": token})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _stored(alpha):
    with alpha.context():
        return Response.objects.count(), PartialResponse.objects.count()


def test_opening_the_link_like_a_mail_scanner_records_nothing(alpha, client, invite):
    invitation, token = invite(build_survey(alpha.organization))
    for query in ({}, {"s": "8"}, {"s": "8", "lang": "de"}):
        page = client.get(url(token, **query))
        assert page.status_code == 200
    assert "How likely are you to recommend us?" in page.content.decode()
    assert _stored(alpha) == (0, 0)
    with alpha.context():
        assert Invitation.objects.get(pk=invitation.pk).answered_at is None


def test_a_score_chosen_in_the_email_is_shown_chosen_and_nothing_more(alpha, client, invite):
    _invitation, token = invite(build_survey(alpha.organization))
    html = client.get(url(token, s="8")).content.decode()
    assert 'value="8" checked' in html and 'value="7" checked' not in html
    assert client.get(url(token, s="99")).status_code == 200  # out of the scale: nothing chosen


def test_the_page_has_no_referrer_and_no_third_party_requests(alpha, client, invite):
    _invitation, token = invite(build_survey(alpha.organization))
    page = client.get(url(token))
    assert page["Referrer-Policy"] == "no-referrer"
    html = page.content.decode()
    assert "https://" not in html.replace(alpha.organization.name, "")  # every asset is the site's own


def test_each_page_is_kept_and_the_customer_resumes_where_they_stopped(alpha, client, invite):
    invitation, token = invite(build_survey(alpha.organization))
    answered = client.post(url(token), {"page": "0", "action": "next", "q_nps": "4", "q_why": "Late delivery"})
    assert answered.status_code == 302
    with alpha.context():
        partial = PartialResponse.objects.get(invitation=invitation)
        assert partial.page == 1 and partial.answers == {"nps": 4, "why": "Late delivery"}
    resumed = client.get(url(token)).content.decode()  # another day, another tab
    assert "What should we improve?" in resumed  # shown: the score was at most 6
    done = client.post(url(token), {"page": "1", "action": "submit", "q_fix": ["support"], "q_more": ""})
    assert done.status_code == 302 and "done=1" in done["Location"]
    thanks = client.get(done["Location"])
    assert "Thank you" in thanks.content.decode()
    with alpha.context():
        response = Response.objects.get()
        assert response.invitation_id == invitation.pk and response.contact_id == invitation.contact_id
        assert {a.question.code: (a.number, a.text, a.choices) for a in response.answers.all()} == {
            "nps": (4, "", []), "why": (None, "Late delivery", []), "fix": (None, "", ["support"])
        }  # fmt: skip
        assert len(response.digest) == 64
        assert not PartialResponse.objects.exists()


def test_a_question_shown_only_to_detractors_is_skipped_for_a_promoter(alpha, client, invite):
    _invitation, token = invite(build_survey(alpha.organization))
    client.post(url(token), {"page": "0", "action": "next", "q_nps": "10"})
    page = client.get(url(token)).content.decode()
    assert "What should we improve?" not in page and "Anything else?" in page
    client.post(url(token), {"page": "1", "action": "submit", "q_fix": ["price"], "q_more": "Great"})
    with alpha.context():
        assert sorted(a.question.code for a in Response.objects.get().answers.all()) == ["more", "nps"]


def test_a_required_question_left_blank_is_asked_again_and_nothing_is_recorded(alpha, client, invite):
    _invitation, token = invite(build_survey(alpha.organization))
    page = client.post(url(token), {"page": "0", "action": "next", "q_why": "kept"})
    assert page.status_code == 422
    html = page.content.decode()
    assert "Please answer this question." in html and "Late" not in html and "kept" in html
    assert _stored(alpha) == (0, 0)


def test_a_second_submission_gets_a_clear_page_and_stores_nothing_more(alpha, client, invite):
    _invitation, token = invite(build_survey(alpha.organization, questions=[
        {"code": "nps", "kind": "nps", "text": "Recommend?", "required": True}]))  # fmt: skip
    assert client.post(url(token), {"page": "0", "action": "submit", "q_nps": "9"}).status_code == 302
    again = client.post(url(token), {"page": "0", "action": "submit", "q_nps": "0"})
    assert again.status_code == 200 and "You have already answered" in again.content.decode()
    assert "already answered" in client.get(url(token)).content.decode()
    with alpha.context():
        assert [a.number for a in Response.objects.get().answers.all()] == [9]


def test_a_survey_of_optional_questions_submitted_blank_is_recorded_once_with_no_answers(alpha, client, invite):
    invitation, token = invite(build_survey(alpha.organization, questions=[
        {"code": "why", "kind": "long_text", "text": "Anything to add?"}]))  # fmt: skip
    assert client.post(url(token), {"page": "0", "action": "submit", "q_why": "  "}).status_code == 302
    again = client.post(url(token), {"page": "0", "action": "submit", "q_why": "Late"})
    assert again.status_code == 200 and "You have already answered" in again.content.decode()
    with alpha.context():
        response = Response.objects.get()
        assert (response.invitation_id, response.answers.count()) == (invitation.pk, 0)
        assert Invitation.objects.get(pk=invitation.pk).answered_at is not None


def test_an_expired_link_gets_a_clear_page_in_the_contacts_language(alpha, client, invite):
    invitation, token = invite(build_survey(alpha.organization, translations={"de": GERMAN}), preferred_language="de")
    with alpha.context():
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    page = client.get(url(token))
    assert page.status_code == 410 and "Dieser Link ist abgelaufen" in page.content.decode()
    assert client.post(url(token), {"page": "0", "action": "submit", "q_nps": "9"}).status_code == 410
    assert _stored(alpha) == (0, 0)


def test_the_page_speaks_the_contacts_language_and_they_may_switch(alpha, client, invite):
    _invitation, token = invite(build_survey(alpha.organization, translations={"de": GERMAN}), preferred_language="de")
    german = client.get(url(token)).content.decode()
    assert 'lang="de"' in german and "Wie wahrscheinlich empfehlen Sie uns weiter?" in german and "Weiter" in german
    english = client.get(url(token, lang="en")).content.decode()
    assert "How likely are you to recommend us?" in english and "Next" in english


def test_a_survey_translated_into_polish_speaks_polish_throughout(alpha, client, invite):
    from surveys.texts import UI_TEXTS

    polish = {key: f"PL {key}" for key in [*GERMAN, *UI_TEXTS]}
    _invitation, token = invite(build_survey(alpha.organization, translations={"pl": polish}), preferred_language="pl")
    html = client.get(url(token)).content.decode()
    assert 'lang="pl"' in html and "PL q.nps.text" in html and "PL ui.next" in html and ">Next<" not in html


def test_an_unknown_token_gets_the_unknown_link_page(alpha, client, invite):
    invite(build_survey(alpha.organization))
    page = client.get(url("x" * 22))
    assert page.status_code == 404
    assert "Customer survey" not in page.content.decode()


def test_an_anonymous_survey_keeps_no_invitation_and_releases_answers_only_in_batches(alpha, client, invite):
    survey = build_survey(
        alpha.organization, privacy="anonymous", anonymity_threshold=3, kept_attributes=["segment"],
        questions=[{"code": "nps", "kind": "nps", "text": "Recommend?", "required": True}],
    )  # fmt: skip
    links = [invite(survey) for _ in range(3)]
    for n, (_invitation, token) in enumerate(links[:2]):
        client.post(url(token), {"page": "0", "action": "submit", "q_nps": str(n)})
    with alpha.context():
        assert not Response.objects.exists()  # two answers waiting: fewer than the threshold
        waiting = list(AnonymousSubmission.objects.values("answers", "attributes", "submitted_on"))
        assert len(waiting) == 2 and waiting[0]["attributes"] == {"segment": "Key accounts"}
        answered = Invitation.objects.get(pk=links[0][0].pk).answered_at
        local = timezone.localtime(answered, alpha.organization.zone())
        assert (local.hour, local.minute, local.second) == (0, 0, 0)  # only the day
    client.post(url(links[2][1]), {"page": "0", "action": "submit", "q_nps": "2"})
    with alpha.context():
        released = list(Response.objects.all())
        assert len(released) == 3 and not AnonymousSubmission.objects.exists()
        assert {(r.invitation_id, r.contact_id, r.send_id, r.submitted_at) for r in released} == {(None,) * 4}
        assert sorted(a.number for r in released for a in r.answers.all()) == [0, 1, 2]
        assert not PartialResponse.objects.exists()


def test_a_public_link_answer_counts_as_the_anonymous_link_and_is_limited_per_address(alpha, client, settings):
    from surveys.services.public_link import survey_public_link

    settings.SURVEY_PUBLIC_LINK_ANSWERS_PER_HOUR = 2
    survey = build_survey(alpha.organization, questions=[{"code": "nps", "kind": "nps", "text": "Recommend?"}])
    with alpha.context():
        survey = survey_public_link(survey=survey, actor=alpha.manager, enabled=True)
    link = url(survey.public_token)
    assert "Recommend?" in client.get(link).content.decode()
    for score in ("9", "7"):
        assert "Thank you" in client.post(link, {"page": "0", "action": "submit", "q_nps": score}).content.decode()
    refused = client.post(link, {"page": "0", "action": "submit", "q_nps": "3"})
    assert refused.status_code == 429 and 'value="3" checked' in refused.content.decode()  # nothing lost
    with alpha.context():
        assert sorted((r.source, r.invitation_id, r.contact_id) for r in Response.objects.all()) == [
            ("public_link", None, None)] * 2  # fmt: skip
        survey_public_link(survey=survey, actor=alpha.manager, enabled=False)
    assert client.get(link).status_code == 404  # switched off: the link leads nowhere


def test_a_submission_missing_an_earlier_required_answer_asks_for_it_and_keeps_the_rest(alpha, client, invite):
    invitation, token = invite(build_survey(alpha.organization))
    # the last page sent without ever answering the first (an edited form, a stale tab)
    page = client.post(url(token), {"page": "1", "action": "submit", "q_more": "Kept for later"})
    assert page.status_code == 422
    html = page.content.decode()
    assert "Please answer this question." in html and "How likely are you to recommend us?" in html
    assert _stored(alpha) == (0, 1)
    with alpha.context():
        partial = PartialResponse.objects.get(invitation=invitation)
        assert (partial.page, partial.answers) == (0, {"more": "Kept for later"})
