"""A survey's scores, counted in the database (groundwork of the results pages): one GROUP BY gives each scored
question's distribution (at most eleven rows a question, whatever the number of answers), and surveys/scoring.py
turns it into the score and its interval. Questions of one code count together across versions only while their
meaning (kind and scale) is the same; an anonymous survey's group under its threshold is hidden."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import cast

from django.db.models import Count
from django.db.models.functions import TruncMonth

from surveys.models import Answer, Invitation, Question, Response, Survey, SurveySend, SurveyVersion
from surveys.scoring import Comparison, Estimate, compare, mean, nps, share

PROMOTERS, DETRACTORS = range(9, 11), range(0, 7)
TOP_TWO = {"csat": (4, 5)}  # CSAT 1–5: "satisfied" and "very satisfied"


@dataclass(frozen=True)
class QuestionScore:
    code: str
    kind: str
    scale: tuple[int, int]
    distribution: dict[int, int]  # score → answers
    estimate: Estimate | None  # None when hidden
    hidden: bool  # an anonymous group under the survey's threshold

    @property
    def n(self) -> int:
        return sum(self.distribution.values())


def _estimate(kind: str, scale: tuple[int, int], counts: dict[int, int], population: int | None) -> Estimate:
    n = sum(counts.values())
    if kind == "nps":
        promoters = sum(c for v, c in counts.items() if v in PROMOTERS)
        detractors = sum(c for v, c in counts.items() if v in DETRACTORS)
        return nps(
            promoters=promoters, passives=n - promoters - detractors, detractors=detractors, population=population
        )
    if kind in TOP_TWO and scale == (1, 5):
        return share(successes=sum(c for v, c in counts.items() if v in TOP_TWO[kind]), n=n)
    total = sum(v * c for v, c in counts.items())
    squares = sum(v * v * c for v, c in counts.items())
    return mean(n=n, total=total, total_of_squares=squares, population=population)


def question_scores(
    *, survey: Survey, version: SurveyVersion | None = None, send: SurveySend | None = None
) -> list[QuestionScore]:
    """Each scored question's distribution and score, for the survey, one of its versions or one send; in the order
    of the latest version's questions. The audience (invitations not revoked) is the finite population."""
    answers = Answer.objects.filter(
        organization_id=survey.organization_id, response__survey=survey, number__isnull=False
    )
    invitations = Invitation.objects.filter(organization_id=survey.organization_id, survey=survey, revoked_at=None)
    if version is not None:
        answers, invitations = answers.filter(response__version=version), invitations.filter(version=version)
    if send is not None:
        answers, invitations = answers.filter(response__send=send), invitations.filter(send=send)
    rows = (
        answers.values("question__code", "question__kind", "question__scale_max", "number")
        .annotate(count=Count("pk"))
        .order_by("question__position")  # grouped by position too: a code's rows of several versions are added up
    )
    grouped: dict[tuple[str, str, tuple[int, int]], dict[int, int]] = defaultdict(dict)
    order: dict[str, int] = {}
    for row in rows:
        question = Question(kind=row["question__kind"], scale_max=row["question__scale_max"])
        scale = question.scale or (0, 0)
        counts, number = grouped[(row["question__code"], row["question__kind"], scale)], cast(int, row["number"])
        counts[number] = counts.get(number, 0) + row["count"]
        order.setdefault(row["question__code"], len(order))
    # the invited audience is the finite population, unless answers also came from the public link (not drawn from it)
    from_link = answers.filter(response__source=Response.Source.PUBLIC_LINK).exists()
    population = None if from_link else invitations.count()
    scores = []
    for (code, kind, scale), counts in sorted(grouped.items(), key=lambda item: order[item[0][0]]):
        hidden = survey.is_anonymous and sum(counts.values()) < survey.anonymity_threshold
        estimate = None if hidden else _estimate(kind, scale, counts, population or None)
        scores.append(QuestionScore(code, kind, scale, {} if hidden else counts, estimate, hidden))
    return scores


@dataclass(frozen=True)
class TrendPoint:
    month: date
    estimate: Estimate | None  # None when hidden (an anonymous month under the threshold)
    change: Comparison | None  # against the month before that has a score; None for the first, or without an SE


def monthly_trend(*, survey: Survey, code: str, segment: str | None = None) -> list[TrendPoint]:
    """A scored question's score month by month (one GROUP BY of month and score), each month compared with the one
    before it: `change.significant` flags only a difference beyond chance (surveys/scoring.py's `compare`). With
    `segment`, only the answers of that segment's respondents (the response's kept attributes)."""
    answers = Answer.objects.filter(
        organization_id=survey.organization_id, response__survey=survey, question__code=code, number__isnull=False
    )
    if segment is not None:
        answers = answers.filter(response__attributes__segment=segment)
    rows = (
        answers.annotate(month=TruncMonth("response__submitted_on"))
        .values("month", "question__kind", "question__scale_max", "number")
        .annotate(count=Count("pk"))
        .order_by("month")
    )
    months: dict[date, dict[int, int]] = defaultdict(dict)
    kind, scale = "", (0, 0)
    for row in rows:
        kind = row["question__kind"]
        scale = Question(kind=kind, scale_max=row["question__scale_max"]).scale or (0, 0)
        counts, number = months[row["month"]], cast(int, row["number"])
        counts[number] = counts.get(number, 0) + row["count"]
    points: list[TrendPoint] = []
    previous: Estimate | None = None
    for month, counts in sorted(months.items()):
        if survey.is_anonymous and sum(counts.values()) < survey.anonymity_threshold:
            points.append(TrendPoint(month, None, None))
            continue
        estimate = _estimate(kind, scale, counts, None)
        points.append(TrendPoint(month, estimate, compare(previous, estimate) if previous else None))
        previous = estimate
    return points
