"""The survey editor's pages: everyone reads the list, a survey and its preview; owners and managers design (staff
and auditors get 403 on every write); another organisation's survey is 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from surveys.models import Response, Survey, SurveyVersion
from surveys.services.design import survey_archive
from tests.factories import ResponseFactory, SurveySendFactory
from tests.surveys.designing import make_survey, questions_of, versions_of


@pytest.fixture
def survey(alpha):
    return make_survey(alpha, name="Yearly NPS", starter="relationship_nps")


def _url(survey, tail=""):
    return f"/o/{survey.organization.slug}/surveys/{survey.pk}/{tail}"


@pytest.mark.parametrize("role", ["owner", "manager", "staff", "auditor"])
def test_every_member_reads_the_list_the_survey_and_its_preview(alpha, login, survey, role):
    client = login(alpha.member(role))
    listing = client.get("/o/alpha/surveys/")
    assert listing.status_code == 200 and "Yearly NPS" in listing.content.decode()
    page = client.get(_url(survey)).content.decode()
    assert "How likely are you to recommend us to a friend or colleague?" in page
    assert "Shown only when the answer to question 1 is at most 8." in page
    assert ("Add a question" in page) == (role in ("owner", "manager"))
    preview = client.get(_url(survey, "preview/")).content.decode()
    assert 'name="q_nps"' in preview and "Not at all likely" in preview
    assert "as your customers see it: nothing you answer is recorded" in preview


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_staff_and_auditors_cannot_design(alpha, login, survey, role):
    client = login(alpha.member(role))
    nps = questions_of(alpha, versions_of(alpha, survey)[0])[0]
    assert client.get("/o/alpha/surveys/new/").status_code == 403
    assert client.post("/o/alpha/surveys/new/", {"name": "Mine"}).status_code == 403
    for tail in ("edit/", "questions/new/", f"questions/{nps.pk}/", "texts/", "translations/de/"):
        assert client.get(_url(survey, tail)).status_code == 403, tail
    for tail in (f"questions/{nps.pk}/move/", f"questions/{nps.pk}/delete/", "archive/", "save-template/"):
        assert client.post(_url(survey, tail), {"direction": "down"}).status_code == 403, tail
    assert [q.code for q in questions_of(alpha, versions_of(alpha, survey)[0])] == ["nps", "reason", "drivers"]


def test_another_organisations_survey_is_not_found(alpha, bravo, login):
    theirs = make_survey(bravo, name="Bravo secret survey")
    client = login(alpha.manager)
    for tail in ("", "preview/", "edit/", "translations/de/export/"):
        assert client.get(f"/o/alpha/surveys/{theirs.pk}/{tail}").status_code == 404
    assert "Bravo secret survey" not in client.get("/o/alpha/surveys/").content.decode()


def test_a_manager_creates_a_survey_from_a_starter(alpha, login):
    response = login(alpha.manager).post(
        "/o/alpha/surveys/new/",
        {"name": "After delivery", "starter": "transactional_csat", "privacy": "identified",
         "anonymity_threshold": 5, "invitation_days": 30},
    )  # fmt: skip
    with alpha.context():
        survey = Survey.objects.get(organization=alpha.organization, name="After delivery")
    assert response.status_code == 302 and response["Location"] == _url(survey)
    assert [q.code for q in questions_of(alpha, versions_of(alpha, survey)[0])] == ["csat", "better", "order"]


def test_the_question_form_adds_a_choice_question_with_a_condition(alpha, login, survey):
    response = login(alpha.manager).post(
        _url(survey, "questions/new/"),
        {"kind": "single", "text": "Which product?", "choices": "Pumps\nValves\n", "condition_question": "nps",
         "condition_op": "at_least", "condition_value": "9", "required": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    added = questions_of(alpha, versions_of(alpha, survey)[0])[-1]
    assert added.choices == [{"value": "pumps", "label": "Pumps"}, {"value": "valves", "label": "Valves"}]
    assert added.condition == {"question": "nps", "op": "at_least", "value": 9} and added.required


def test_a_refused_question_shows_why_on_its_form(alpha, login, survey):
    response = login(alpha.manager).post(
        _url(survey, "questions/new/"),
        {"kind": "single", "text": "Which?", "choices": "One\nTwo", "condition_question": "nps",
         "condition_op": "in", "condition_value": "3"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "cannot be compared that way" in response.content.decode()
    assert len(versions_of(alpha, survey)) == 1


def test_editing_a_sent_survey_starts_version_2_and_keeps_version_1(alpha, login, survey):
    with alpha.context():
        SurveyVersion.objects.filter(survey=survey).update(locked_at=timezone.now())
    nps = questions_of(alpha, versions_of(alpha, survey)[0])[0]
    client = login(alpha.manager)
    assert "has been sent" in client.get(_url(survey)).content.decode()
    response = client.post(_url(survey, f"questions/{nps.pk}/"), {"kind": "nps", "text": "Would you recommend us?"})
    assert response.status_code == 302
    first, second = versions_of(alpha, survey)
    assert questions_of(alpha, first)[0].text == nps.text
    assert questions_of(alpha, second)[0].text == "Would you recommend us?"


def test_up_and_down_buttons_move_a_question_and_htmx_gets_the_page_back(alpha, login, survey):
    nps, reason, drivers = questions_of(alpha, versions_of(alpha, survey)[0])
    client = login(alpha.manager)
    assert client.post(_url(survey, f"questions/{reason.pk}/move/"), {"direction": "up"}).status_code == 302
    assert [q.code for q in questions_of(alpha, versions_of(alpha, survey)[0])] == ["reason", "nps", "drivers"]
    swapped = client.post(
        _url(survey, f"questions/{nps.pk}/move/"), {"direction": "down"}, headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200 and "must stay after it" in swapped.content.decode()


def test_delete_and_duplicate_from_the_survey_page(alpha, login, survey):
    nps, reason, drivers = questions_of(alpha, versions_of(alpha, survey)[0])
    client = login(alpha.manager)
    client.post(_url(survey, f"questions/{reason.pk}/duplicate/"))
    client.post(_url(survey, f"questions/{reason.pk}/delete/"))
    refused = client.post(_url(survey, f"questions/{nps.pk}/delete/"), follow=True).content.decode()
    assert "change or delete it first" in refused
    assert [q.kind for q in questions_of(alpha, versions_of(alpha, survey)[0])] == ["nps", "long_text", "multiple"]


def test_the_survey_page_says_per_language_what_is_missing(alpha, login, survey):
    client = login(alpha.manager)
    response = client.post(_url(survey, "translations/"), {"language": "de"})
    assert response.status_code == 302 and response["Location"] == _url(survey, "translations/de/")
    page = client.get(_url(survey)).content.decode()
    assert "Deutsch" in page or "German" in page
    assert "texts missing" in page
    client.post(_url(survey, "translations/de/"), {"q.nps.text": "Wie wahrscheinlich?"})
    assert versions_of(alpha, survey)[0].translations["de"] == {"q.nps.text": "Wie wahrscheinlich?"}
    german = client.get(_url(survey, "preview/?lang=de")).content.decode()
    assert "Wie wahrscheinlich?" in german


def test_the_translation_is_exported_and_imported_from_its_pages(alpha, login, survey):
    client = login(alpha.manager)
    exported = client.get(_url(survey, "translations/de/export/"))
    assert exported["Content-Type"].startswith("text/csv") and b"q.nps.text" in exported.content
    assert b"<trans-unit" in client.get(_url(survey, "translations/de/export/?format=xliff")).content
    upload = SimpleUploadedFile("de.csv", b"key,source,translation\nq.nps.text,,Empfehlen?\nq.x.text,,X\n")
    response = client.post(_url(survey, "translations/de/import/"), {"file": upload}, follow=True)
    assert "q.x.text" in response.content.decode()
    assert versions_of(alpha, survey)[0].translations["de"] == {"q.nps.text": "Empfehlen?"}
    bad = client.post(_url(survey, "translations/de/import/"), {"file": SimpleUploadedFile("x.xlf", b"<!DOCTYPE x>")})
    assert bad.status_code == 400 and "DOCTYPE" in bad.content.decode()


def test_privacy_is_refused_on_the_settings_form_once_answered(alpha, login, survey):
    with alpha.context():
        ResponseFactory(version=versions_of(alpha, survey)[0])
    response = login(alpha.manager).post(
        _url(survey, "edit/"),
        {"name": "Yearly NPS", "default_language": "en-gb", "privacy": "anonymous", "anonymity_threshold": 5,
         "invitation_days": 30},
    )  # fmt: skip
    assert response.status_code == 200
    assert "privacy settings can no longer change" in response.content.decode()


def test_archived_surveys_leave_the_list_unless_asked_for(alpha, login, survey):
    with alpha.context():
        survey_archive(survey=survey, actor=alpha.manager)
    client = login(alpha.staff)
    assert "Yearly NPS" not in client.get("/o/alpha/surveys/").content.decode()
    assert "Yearly NPS" in client.get("/o/alpha/surveys/?status=archived").content.decode()
    assert client.get("/o/alpha/surveys/?status=nonsense&privacy=identified").status_code == 200


def test_the_list_and_the_survey_count_sends_and_responses_without_multiplying_them(alpha, login, survey):
    [version] = versions_of(alpha, survey)
    with alpha.context():
        SurveySendFactory.create_batch(2, version=version)
        ResponseFactory.create_batch(3, version=version)
    client = login(alpha.staff)
    listed = client.get("/o/alpha/surveys/").context["page"].object_list[0]
    assert (listed.send_count, listed.response_count, listed.version_count) == (2, 3, 1)
    shown = client.get(_url(survey)).context["survey"]
    assert (shown.send_count, shown.response_count) == (2, 3)


def test_the_preview_is_the_customers_page_that_answers_back_and_records_nothing(alpha, login, survey):
    client = login(alpha.manager)
    blank = client.get(_url(survey, "preview/"), {"page": "0", "action": "submit", "lang": "en-gb"})
    assert blank.status_code == 422 and "Please answer this question." in blank.content.decode()
    answered = client.get(_url(survey, "preview/"), {"page": "0", "action": "submit", "q_nps": "9", "q_reason": "x"})
    assert answered.status_code == 200
    page = answered.content.decode()
    assert "Thank you" in page and "nothing you answer is recorded" in page
    assert "csrfmiddlewaretoken" not in client.get(_url(survey, "preview/")).content.decode()  # never in a URL
    with alpha.context():
        assert not Response.objects.exists()
