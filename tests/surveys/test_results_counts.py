"""A survey's scores are counted in the database and scored with their intervals (surveys/selectors/results.py):
per survey and per send, in a fixed number of statements, with the invited audience as the finite population, and
an anonymous survey's group under its threshold hidden."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surveys.models import Answer, Invitation, Response
from surveys.scoring import compare, mean, nps, share
from surveys.selectors.results import monthly_trend, question_scores
from surveys.services.sending import contacts_for, survey_send
from tests.factories import ContactFactory, CustomerFactory, ResponseFactory
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"code": "nps", "kind": "nps", "text": "Recommend?"},
    {"code": "csat", "kind": "csat", "text": "Satisfied?"},
    {"code": "ces", "kind": "ces", "text": "Easy?"},
    {"code": "why", "kind": "long_text", "text": "Why?"},
]


def _answer(tenant, survey, scores, **response_fields):
    version = survey.versions.get()
    questions = {q.code: q for q in version.questions.all()}
    response = ResponseFactory(version=version, **response_fields)
    Answer.objects.bulk_create(
        Answer(organization=tenant.organization, response=response, question=questions[code], number=value)
        for code, value in scores.items()
    )


def test_each_scored_question_gets_its_distribution_and_score(alpha):
    survey = build_survey(alpha.organization, questions=QUESTIONS)
    with alpha.context():
        for nps_score, csat, ces in [(10, 5, 7), (9, 4, 6), (8, 3, 5), (6, 2, 2), (3, 1, 1), (10, 5, 7)]:
            _answer(alpha, survey, {"nps": nps_score, "csat": csat, "ces": ces})
        with CaptureQueriesContext(connection) as queries:
            scores = {score.code: score for score in question_scores(survey=survey)}
    assert len(queries) <= 3
    assert list(scores) == ["nps", "csat", "ces"]  # the text question has no score
    assert scores["nps"].distribution == {10: 2, 9: 1, 8: 1, 6: 1, 3: 1}
    assert scores["nps"].estimate == nps(promoters=3, passives=1, detractors=2)  # public-link answers: no audience
    assert scores["csat"].estimate == share(successes=3, n=6)  # the 4s and 5s
    assert scores["ces"].estimate == mean(n=6, total=28, total_of_squares=164)


def test_a_sends_invited_audience_is_its_finite_population(alpha):
    survey = build_survey(alpha.organization, questions=QUESTIONS[:1])
    customer = CustomerFactory(organization=alpha.organization)
    people = [ContactFactory(customer=customer) for _ in range(12)]
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[p.pk for p in people]))  # fmt: skip
        invitations = list(Invitation.objects.filter(send=send).order_by("pk"))
        for score, invitation in zip([10, 10, 10, 10, 10, 9, 8, 7, 6, 2], invitations, strict=False):
            _answer(alpha, survey, {"nps": score}, send=send, invitation=invitation, contact=invitation.contact,
                    source="invitation")  # fmt: skip
        [score] = question_scores(survey=survey, send=send)
    assert score.estimate == nps(promoters=6, passives=2, detractors=2, population=12)


def test_an_anonymous_group_under_the_threshold_is_hidden(alpha):
    survey = build_survey(alpha.organization, questions=QUESTIONS[:1], privacy="anonymous", anonymity_threshold=5)
    with alpha.context():
        for score in (10, 2, 9, 3):
            _answer(alpha, survey, {"nps": score})
        [hidden] = question_scores(survey=survey)
        _answer(alpha, survey, {"nps": 7})
        [shown] = question_scores(survey=survey)
    assert hidden.hidden and hidden.estimate is None and hidden.distribution == {} and hidden.n == 0
    assert not shown.hidden and shown.n == 5


def test_the_monthly_trend_flags_only_a_change_beyond_chance(alpha):
    survey = build_survey(alpha.organization, questions=QUESTIONS[:1])
    months = {  # (promoters, passives, detractors) a month
        date(2026, 3, 10): (100, 60, 40),  # NPS 30
        date(2026, 4, 10): (90, 60, 50),  # NPS 20: -10, z -1.25, not significant
        date(2026, 5, 10): (70, 60, 70),  # NPS 0: -20 from April, significant
    }
    with alpha.context():
        version = survey.versions.get()
        scores = [(day, score) for day, counts in months.items() for score, count in zip((10, 8, 3), counts,
                  strict=True) for _ in range(count)]  # fmt: skip
        responses = Response.objects.bulk_create(
            Response(organization=alpha.organization, survey=survey, version=version, source="public_link",
                     language="en", submitted_on=day, digest=f"{n:064x}")
            for n, (day, _score) in enumerate(scores)
        )  # fmt: skip
        question = version.questions.get()
        Answer.objects.bulk_create(
            Answer(organization=alpha.organization, response=response, question=question, number=score)
            for response, (_day, score) in zip(responses, scores, strict=True)
        )
        with CaptureQueriesContext(connection) as queries:
            trend = monthly_trend(survey=survey, code="nps")
    assert len(queries) == 1
    assert [point.month for point in trend] == [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]
    assert [round(point.estimate.value) for point in trend] == [30, 20, 0]
    march, april, may = trend
    assert march.change is None
    assert april.change == compare(nps(promoters=100, passives=60, detractors=40),
                                   nps(promoters=90, passives=60, detractors=50))  # fmt: skip
    assert not april.change.significant and may.change.significant


def test_another_organisations_answers_never_count(alpha, bravo):
    ours = build_survey(alpha.organization, questions=QUESTIONS[:1])
    theirs = build_survey(bravo.organization, questions=QUESTIONS[:1])
    with alpha.context():
        _answer(alpha, ours, {"nps": 10})
    with bravo.context():
        for _ in range(3):
            _answer(bravo, theirs, {"nps": 0})
    with alpha.context():
        [score] = question_scores(survey=ours)
    assert score.distribution == {10: 1}
