"""A survey's results page and its CSV exports: the figures as computed by hand on a small survey, "too few answers"
instead of a number, an anonymous group under its threshold hidden on the page and in the CSV, the answers' CSV
safe to open in a spreadsheet, the text answers searched, the filters, and a fixed number of statements whatever the
number of responses."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qms.outbox.models import OutboxMessage
from surveys.models import Answer, Invitation, PartialResponse
from surveys.services.sending import contacts_for, survey_send
from tests.factories import ContactFactory, CustomerFactory, QuestionFactory, ResponseFactory, SurveyVersionFactory
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"code": "nps", "kind": "nps", "text": "Would you recommend us?"},
    {"code": "csat", "kind": "csat", "text": "How satisfied are you?"},
    {"code": "channel", "kind": "single", "text": "How did you order?",
     "choices": [{"value": "web_shop", "label": "Our web shop"}, {"value": "phone", "label": "By phone"}]},
    {"code": "why", "kind": "long_text", "text": "Why?"},
]  # fmt: skip


def _answer(tenant, survey, values, **response_fields):
    version = survey.versions.order_by("-number").first()
    questions = {q.code: q for q in version.questions.all()}
    response = ResponseFactory(version=version, **response_fields)
    Answer.objects.bulk_create(
        Answer(organization=tenant.organization, response=response, question=questions[code],
               **({"number": value} if isinstance(value, int) else {"text": value}))
        for code, value in values.items()
    )  # fmt: skip
    return response


# NPS: six 10s, three 8s, three 3s (n = 12): 50 % promoters, 25 % detractors, NPS 25;
# variance 100² · [(0.5 + 0.25) − 0.25²] / 12 = 572.9, SE 23.9, margin 1.96 · 23.9 = 47.
# CSAT: nine of twelve 4 or 5: 75 %; Wilson 95 % interval 46.8 % – 91.1 %, its larger side 28 points.
TWELVE = [(10, 5), (10, 5), (10, 4), (10, 4), (10, 4), (10, 5), (8, 4), (8, 4), (8, 5), (3, 1), (3, 2), (3, 3)]


@pytest.fixture
def seeded(alpha):
    survey = build_survey(alpha.organization, questions=QUESTIONS)
    with alpha.context():
        for n, (nps, csat) in enumerate(TWELVE):
            _answer(alpha, survey, {"nps": nps, "csat": csat, "channel": "phone" if n % 3 else "web_shop",
                                    "why": f"Answer number {n}"}, submitted_on=date(2026, 3, 5))  # fmt: skip
    return survey


def _url(survey, tail=""):
    return f"/o/alpha/surveys/{survey.pk}/results/{tail}"


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_page_shows_each_score_with_its_margin_as_computed_by_hand(alpha, login, seeded):
    html = login(alpha.auditor).get(_url(seeded)).content.decode()
    assert "NPS 25 ± 47" in html
    assert "CSAT (top-2-box) 75 % ± 28" in html
    assert "47 – 91" in html
    assert "Our web shop" in html and "By phone" in html  # the choice's counts named by their labels


def test_the_summary_csv_has_a_row_per_scored_question_with_its_interval(alpha, login, seeded):
    rows = _csv(login(alpha.staff).get(_url(seeded, "summary.csv")))
    assert rows[0][:5] == ["Question code", "Question", "Score", "Answers", "Value"]
    nps, csat = rows[1], rows[2]
    assert nps[0] == "nps" and nps[3:5] == ["12", "25.0"] and nps[-2:] == ["no", "no"]
    assert abs(float(nps[7]) - 46.91) < 0.05  # the margin
    assert csat[0] == "csat" and csat[4] == "75.0" and abs(float(csat[5]) - 46.77) < 0.05


def test_too_few_answers_say_so_instead_of_a_number(alpha, login):
    survey = build_survey(alpha.organization, questions=QUESTIONS[:1])
    with alpha.context():
        for score in (10, 9, 2, 7):
            _answer(alpha, survey, {"nps": score})
    html = login(alpha.manager).get(_url(survey)).content.decode()
    assert "Too few answers (n = 4; at least 10 needed)" in html
    assert "NPS 25" not in html and "NPS 0" not in html


def test_an_anonymous_group_under_the_threshold_is_hidden_on_the_page_and_in_the_csv(alpha, login):
    survey = build_survey(alpha.organization, questions=QUESTIONS, privacy="anonymous", anonymity_threshold=5)
    with alpha.context():
        for score in (10, 2, 9):
            _answer(alpha, survey, {"nps": score, "why": "Only I would say this"})
    client = login(alpha.manager)
    html = client.get(_url(survey)).content.decode()
    assert "Fewer than 5 answers in this group" in html
    assert "Only I would say this" not in html and "NPS" not in html.split("Trend by month")[0].split("Scores")[-1]
    rows = _csv(client.get(_url(survey, "answers.csv")))
    assert len(rows) == 1 and "Contact" not in rows[0]  # the header only, and no contact column
    summary = _csv(client.get(_url(survey, "summary.csv")))
    assert summary[1][0] == "nps" and summary[1][4] == "" and summary[1][-1] == "yes"


def test_the_answers_csv_neutralises_a_formula_and_names_the_respondent_of_an_identified_survey(alpha, login, seeded):
    with alpha.context():
        _answer(alpha, seeded, {"nps": 0, "why": '=HYPERLINK("http://evil.example","x")'})
    rows = _csv(login(alpha.manager).get(_url(seeded, "answers.csv")))
    header = rows[0]
    assert header[-4:] == ["nps", "csat", "channel", "why"] and "Contact" in header
    assert len(rows) == 14
    assert rows[-1][-1] == '\'=HYPERLINK("http://evil.example","x")'


def test_the_text_answers_are_searched(alpha, login, seeded):
    client = login(alpha.manager)
    html = client.get(_url(seeded), {"question": "why", "q": "number 11"}).content.decode()
    assert "Answer number 11" in html and "Answer number 10" not in html
    assert "No text answer contains this." in client.get(_url(seeded), {"q": "nowhere"}).content.decode()


def test_the_filters_narrow_every_figure_and_the_csv(alpha, login, seeded):
    with alpha.context():
        _answer(alpha, seeded, {"nps": 0, "why": "From April"}, submitted_on=date(2026, 4, 2),
                attributes={"segment": "Retail"})  # fmt: skip
    client = login(alpha.manager)
    html = client.get(_url(seeded), {"segment": "Retail"}).content.decode()
    assert "Too few answers (n = 1; at least 10 needed)" in html and "From April" in html
    assert "Answer number 1" not in html
    rows = _csv(client.get(_url(seeded, "answers.csv"), {"since": "2026-04-01"}))
    assert len(rows) == 2 and rows[1][-1] == "From April"
    assert "Not understood, so not applied: Version" in client.get(_url(seeded), {"version": "x"}).content.decode()


def test_participation_counts_delivered_answered_and_started(alpha, login):
    survey = build_survey(alpha.organization, questions=QUESTIONS[:1])
    customer = CustomerFactory(organization=alpha.organization)
    people = [ContactFactory(customer=customer) for _ in range(4)]
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[p.pk for p in people]))  # fmt: skip
        invitations = list(Invitation.objects.filter(send=send).order_by("pk"))
        OutboxMessage.objects.filter(pk__in=[i.message_id for i in invitations]).update(state="sent")
        for invitation in invitations[:2]:
            _answer(alpha, survey, {"nps": 9}, send=send, invitation=invitation, contact=invitation.contact,
                    source="invitation")  # fmt: skip
        Invitation.objects.filter(pk__in=[i.pk for i in invitations[:2]]).update(answered_at=invitations[0].created_at)
        PartialResponse.objects.create(organization=alpha.organization, invitation=invitations[2],
                                       version=survey.versions.get(), language="en", answers={"nps": 3})  # fmt: skip
    html = login(alpha.manager).get(_url(survey), {"send": send.pk}).content.decode()
    figures = html.split('id="h-participation"')[1].split("</section>")[0]
    assert '<dd class="col-sm-7">4</dd>' in figures  # delivered
    assert "50 %" in figures  # 2 of 4 answered
    assert "67 %" in figures and "of 3 who started" in figures  # 2 of (2 answered + 1 unfinished)


def test_the_trend_names_its_test(alpha, login, seeded):
    html = login(alpha.manager).get(_url(seeded), {"view": "trend"}).content.decode()
    assert "difference of two NPS, z-test, SE = √(SE₁² + SE₂²), 95 %" in html
    assert "March 2026" in html and "Participation" not in html


def test_no_answers_yet_shows_an_empty_state(alpha, login):
    survey = build_survey(alpha.organization, questions=QUESTIONS)
    html = login(alpha.manager).get(_url(survey)).content.decode()
    assert "No answers yet." in html


def test_the_page_takes_the_same_number_of_statements_whatever_the_number_of_responses(alpha, login, seeded):
    client = login(alpha.manager)
    client.get(_url(seeded))
    with CaptureQueriesContext(connection) as few:
        client.get(_url(seeded))
    with alpha.context():
        for n in range(30):
            _answer(alpha, seeded, {"nps": n % 11, "csat": 1 + n % 5, "channel": "phone", "why": f"More {n}"},
                    submitted_on=date(2026, 1 + n % 6, 1))  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get(_url(seeded))
    assert len(many) == len(few)


def test_another_organisations_survey_has_no_results_here(alpha, bravo, login):
    theirs = build_survey(bravo.organization, questions=QUESTIONS)
    assert login(alpha.manager).get(_url(theirs)).status_code == 404


def test_the_survey_and_its_send_link_to_their_results(alpha, login):
    survey = build_survey(alpha.organization, questions=QUESTIONS[:1])
    customer = CustomerFactory(organization=alpha.organization)
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[ContactFactory(customer=customer).pk]))  # fmt: skip
    client = login(alpha.staff)
    assert f'href="{_url(survey)}"' in client.get(f"/o/alpha/surveys/{survey.pk}/").content.decode()
    html = client.get(f"/o/alpha/surveys/{survey.pk}/sends/{send.pk}/").content.decode()
    assert f'href="{_url(survey)}?send={send.pk}"' in html


def test_versions_count_together_only_while_a_question_keeps_its_meaning(alpha, login):
    survey = build_survey(alpha.organization, questions=QUESTIONS[:2])
    with alpha.context():
        second = SurveyVersionFactory(survey=survey, number=2)
        QuestionFactory(version=second, position=0, code="nps", kind="nps", text="Would you recommend us?")
        QuestionFactory(version=second, position=1, code="csat", kind="rating", scale_max=10, text="Rate us")
        first = survey.versions.get(number=1)
        for version in (first, second):
            questions = {q.code: q for q in version.questions.all()}
            for _ in range(6):
                response = ResponseFactory(version=version)
                Answer.objects.bulk_create([
                    Answer(organization=alpha.organization, response=response, question=questions["nps"], number=10),
                    Answer(organization=alpha.organization, response=response, question=questions["csat"], number=5),
                ])  # fmt: skip
    rows = _csv(login(alpha.manager).get(_url(survey, "summary.csv")))
    assert [(row[0], row[2], row[3]) for row in rows[1:]] == [
        ("nps", "NPS", "12"),  # the same meaning in both versions: counted together
        ("csat", "CSAT (top-2-box)", "6"),  # a satisfaction 1–5, then a rating 1–10: counted apart
        ("csat", "Mean rating", "6"),
    ]
    version_one = _csv(login(alpha.manager).get(_url(survey, "summary.csv"), {"version": "1"}))
    assert [(row[0], row[3]) for row in version_one[1:]] == [("nps", "6"), ("csat", "6")]
