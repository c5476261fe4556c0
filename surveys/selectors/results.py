"""A survey's scores, counted in the database (groundwork of the results pages): one GROUP BY gives each scored
question's distribution (at most eleven rows a question, whatever the number of answers), and surveys/scoring.py
turns it into the score and its interval. Questions of one code count together across versions only while their
meaning (kind and scale) is the same; an anonymous survey's group under its threshold is hidden."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import cast

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from qms.outbox.models import OutboxMessage
from surveys.models import Answer, Invitation, Question, Response, Survey, SurveySend, SurveyVersion
from surveys.scoring import Comparison, Estimate, compare, mean, nps, share

PROMOTERS, DETRACTORS = range(9, 11), range(0, 7)
TEXT_KINDS = (Question.Kind.SHORT_TEXT, Question.Kind.LONG_TEXT)
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


@dataclass(frozen=True)
class Group:
    """Which answers a results view counts: the survey's, narrowed by version (its number), send (its id), the
    respondents' segment and the period they answered in. The same values narrow the invitations (the audience)."""

    version: int | None = None
    send: int | None = None
    segment: str = ""
    since: date | None = None
    until: date | None = None

    def responses(self, prefix: str = "") -> Q:
        """The responses of the group, under `prefix` ("response__" from an answer)."""
        where = Q()
        if self.version is not None:
            where &= Q(**{f"{prefix}version__number": self.version})
        if self.send is not None:
            where &= Q(**{f"{prefix}send_id": self.send})
        if self.segment:
            where &= Q(**{f"{prefix}attributes__segment": self.segment})
        if self.since is not None:
            where &= Q(**{f"{prefix}submitted_on__gte": self.since})
        if self.until is not None:
            where &= Q(**{f"{prefix}submitted_on__lte": self.until})
        return where

    def invitations(self) -> Q:
        """The invitations of the group: the period is the day they were sent, the segment their customer's."""
        where = Q()
        if self.version is not None:
            where &= Q(version__number=self.version)
        if self.send is not None:
            where &= Q(send_id=self.send)
        if self.segment:
            where &= Q(contact__customer__segment=self.segment)
        if self.since is not None:
            where &= Q(created_at__date__gte=self.since)
        if self.until is not None:
            where &= Q(created_at__date__lte=self.until)
        return where

    @property
    def is_narrowed(self) -> bool:
        return self != Group()


def _scored_answers(survey: Survey, group: Group) -> QuerySet[Answer]:
    return Answer.objects.filter(
        group.responses("response__"),
        organization_id=survey.organization_id,
        response__survey=survey,
        number__isnull=False,
    )


def _meaning(kind: str, scale_max: int | None) -> tuple[int, int]:
    return Question(kind=kind, scale_max=scale_max).scale or (0, 0)


def _hidden(survey: Survey, n: int) -> bool:
    return survey.is_anonymous and n < survey.anonymity_threshold


def question_scores(
    *,
    survey: Survey,
    version: SurveyVersion | None = None,
    send: SurveySend | None = None,
    group: Group | None = None,
) -> list[QuestionScore]:
    """Each scored question's distribution and score, for the survey, one of its versions, one send or a group; in
    the order of the questions. The audience (the group's invitations not revoked) is the finite population."""
    if group is None:
        group = Group(version=version.number if version else None, send=send.pk if send else None)
    answers = _scored_answers(survey, group)
    invitations = Invitation.objects.filter(
        group.invitations(), organization_id=survey.organization_id, survey=survey, revoked_at=None
    )
    rows = (
        answers.values("question__code", "question__kind", "question__scale_max", "number")
        .annotate(count=Count("pk"))
        .order_by("question__position")  # grouped by position too: a code's rows of several versions are added up
    )
    grouped: dict[tuple[str, str, tuple[int, int]], dict[int, int]] = defaultdict(dict)
    order: dict[str, int] = {}
    for row in rows:
        scale = _meaning(row["question__kind"], row["question__scale_max"])
        counts, number = grouped[(row["question__code"], row["question__kind"], scale)], cast(int, row["number"])
        counts[number] = counts.get(number, 0) + row["count"]
        order.setdefault(row["question__code"], len(order))
    # the invited audience is the finite population, unless answers also came from the public link (not drawn from it)
    from_link = answers.filter(response__source=Response.Source.PUBLIC_LINK).exists()
    population = None if from_link else invitations.count()
    scores = []
    for (code, kind, scale), counts in sorted(grouped.items(), key=lambda item: order[item[0][0]]):
        hidden = _hidden(survey, sum(counts.values()))
        estimate = None if hidden else _estimate(kind, scale, counts, population or None)
        scores.append(QuestionScore(code, kind, scale, {} if hidden else counts, estimate, hidden))
    return scores


@dataclass(frozen=True)
class TrendPoint:
    month: date
    estimate: Estimate | None  # None when hidden (an anonymous month under the threshold)
    change: Comparison | None  # against the month before that has a score; None for the first, or without an SE


def _trend(survey: Survey, kind: str, scale: tuple[int, int], months: dict[date, dict[int, int]]) -> list[TrendPoint]:
    """Each month scored and compared with the latest month before it that has enough answers; a month with too few
    answers gets its estimate (the page says "too few") but no comparison, and is no month's base either."""
    points: list[TrendPoint] = []
    previous: Estimate | None = None
    for month, counts in sorted(months.items()):
        if _hidden(survey, sum(counts.values())):
            points.append(TrendPoint(month, None, None))
            continue
        estimate = _estimate(kind, scale, counts, None)
        if estimate.too_few:
            points.append(TrendPoint(month, estimate, None))
            continue
        points.append(TrendPoint(month, estimate, compare(previous, estimate) if previous else None))
        previous = estimate
    return points


def monthly_trend(*, survey: Survey, code: str, segment: str | None = None) -> list[TrendPoint]:
    """A scored question's score month by month (one GROUP BY of month and score), each month compared with the one
    before it: `change.significant` flags only a difference beyond chance (surveys/scoring.py's `compare`). With
    `segment`, only the answers of that segment's respondents (the response's kept attributes)."""
    trends = monthly_trends(survey=survey, group=Group(segment=segment or ""), code=code)
    return trends[0].points if trends else []


@dataclass(frozen=True)
class QuestionTrend:
    code: str
    kind: str
    scale: tuple[int, int]
    points: list[TrendPoint]


def monthly_trends(*, survey: Survey, group: Group, code: str | None = None) -> list[QuestionTrend]:
    """Every scored question's monthly trend (or one code's) in one GROUP BY of month, question and score; a code
    whose meaning changed between versions has a trend per meaning. In the order of the questions."""
    answers = _scored_answers(survey, group)
    if code is not None:
        answers = answers.filter(question__code=code)
    rows = (
        answers.annotate(month=TruncMonth("response__submitted_on"))
        .values("month", "question__code", "question__kind", "question__scale_max", "number")
        .annotate(count=Count("pk"))
        .order_by()
    )
    grouped: dict[tuple[str, str, tuple[int, int]], dict[date, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        key = (
            row["question__code"],
            row["question__kind"],
            _meaning(row["question__kind"], row["question__scale_max"]),
        )
        counts, number = grouped[key][row["month"]], cast(int, row["number"])
        counts[number] = counts.get(number, 0) + row["count"]
    order = question_order(survey) if len(grouped) > 1 else {}  # one trend needs no ordering
    return [
        QuestionTrend(key[0], key[1], key[2], _trend(survey, key[1], key[2], months))
        for key, months in sorted(grouped.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0]))
    ]


def question_order(survey: Survey) -> dict[str, int]:
    """Each code's place: the latest version's order first, then codes only earlier versions asked."""
    rows = Question.objects.filter(organization_id=survey.organization_id, version__survey=survey).order_by(
        "-version__number", "position"
    )
    order: dict[str, int] = {}
    for question_code in rows.values_list("code", flat=True):
        order.setdefault(question_code, len(order))
    return order


# --- the results page's other figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Participation:
    delivered: int  # invitations whose email went out (not revoked)
    answered: int  # of those, answered
    responses: int  # every response of the group, public-link answers too
    partial: int  # invitations started and kept unfinished
    hidden: bool  # an anonymous group under the survey's threshold: no figure shown

    @property
    def response_rate(self) -> float | None:
        return 100 * self.answered / self.delivered if self.delivered else None

    @property
    def started(self) -> int:
        return self.responses + self.partial

    @property
    def completion_rate(self) -> float | None:
        return 100 * self.responses / self.started if self.started else None


def participation(*, survey: Survey, group: Group) -> Participation:
    """Invitations delivered and answered, responses, and the unfinished answers kept: two statements."""
    sent = Q(message__state=OutboxMessage.State.SENT)
    figures = Invitation.objects.filter(
        group.invitations(), organization_id=survey.organization_id, survey=survey, revoked_at=None
    ).aggregate(
        delivered=Count("pk", filter=sent),
        answered=Count("pk", filter=sent & Q(answered_at__isnull=False)),
        partial=Count("partial", filter=Q(answered_at__isnull=True)),
    )
    responses = Response.objects.filter(
        group.responses(), organization_id=survey.organization_id, survey=survey
    ).count()
    return Participation(
        figures["delivered"], figures["answered"], responses, figures["partial"], _hidden(survey, responses)
    )


@dataclass(frozen=True)
class ChoiceCounts:
    code: str
    kind: str  # single or multiple
    counts: dict[str, int]  # a choice's value → the answers that chose it
    answered: int  # answers to the question (a multiple choice's answer may choose several)
    hidden: bool


def choice_counts(*, survey: Survey, group: Group) -> list[ChoiceCounts]:
    """Each choice question's counts in one GROUP BY (of the single choice, or of a multiple choice's set of values:
    a few rows a question), in the order of the questions."""
    rows = (
        Answer.objects.filter(
            group.responses("response__"),
            organization_id=survey.organization_id,
            response__survey=survey,
            question__kind__in=Question.CHOICES,
        )
        .values("question__code", "question__kind", "text", "choices")
        .annotate(count=Count("pk"))
        .order_by()
    )
    grouped: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    answered: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        key = (row["question__code"], row["question__kind"])
        values = row["choices"] if key[1] == Question.Kind.MULTIPLE else [row["text"]]
        for value in values or []:
            if value:
                grouped[key][str(value)] = grouped[key].get(str(value), 0) + row["count"]
        if any(values or []):
            answered[key] += row["count"]
    order = question_order(survey)
    return [
        ChoiceCounts(code, kind, {} if _hidden(survey, answered[(code, kind)]) else counts, answered[(code, kind)],
                     _hidden(survey, answered[(code, kind)]))
        for (code, kind), counts in sorted(grouped.items(), key=lambda item: order.get(item[0][0], len(order)))
    ]  # fmt: skip


def latest_questions(survey: Survey) -> dict[str, Question]:
    """Each code's question as its latest version asks it (its text, choices and labels name the results)."""
    questions: dict[str, Question] = {}
    for question in Question.objects.filter(organization_id=survey.organization_id, version__survey=survey).order_by(
        "-version__number", "position"
    ):
        questions.setdefault(question.code, question)
    return questions


def text_answers(*, survey: Survey, group: Group, code: str, search: str = "") -> QuerySet[Answer]:
    """A text question's answers of the group, latest first; `search` narrows them to those containing it."""
    answers = Answer.objects.filter(
        group.responses("response__"),
        organization_id=survey.organization_id,
        response__survey=survey,
        question__code=code,
        question__kind__in=TEXT_KINDS,
    ).exclude(text="")
    if search:
        answers = answers.filter(text__icontains=search)
    return answers.select_related("response").order_by("-response__submitted_on", "-pk")
