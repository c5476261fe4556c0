"""A survey's results: participation, each scored question's score with its 95 % interval (or "too few answers"), its
distribution and monthly trend as charts with their tables, the choice questions' counts and the text answers;
filtered by version, send, segment and period (surveys/filters.py ResultFilter), with CSV exports of the answers and
of the summary (rendered inside the request, in the organisation's context and transaction, as every export is: a
streamed body would be read after both had ended). Every figure is counted in the database
(surveys/selectors/results.py); an anonymous group under the survey's threshold is hidden on the page and in the
CSV alike.

`?view=trend` shows the monthly trends only (what the trend benchmark times).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from customers.models import Customer
from qms.charts import DistributionChart, PlottedMark, TrendChart, TrendMark, distribution_chart, trend_chart
from qms.listing import csv_response, paginate, query_text
from qms.permissions import permission
from qms.tenancy.access import get_object_for_member
from qms.tenancy.requests import MemberRequest
from surveys.filters import ResultFilter
from surveys.models import Answer, Question, Response, Survey, SurveySend, SurveyVersion
from surveys.scoring import MIN_ANSWERS, Estimate
from surveys.selectors.results import (
    TEXT_KINDS,
    ChoiceCounts,
    Group,
    QuestionScore,
    QuestionTrend,
    TrendPoint,
    choice_counts,
    latest_questions,
    monthly_trends,
    participation,
    question_scores,
    text_answers,
)

TEXT_PAGE_SIZE = 20


def score_name(kind: str) -> str:
    return {"nps": _("NPS"), "csat": _("CSAT (top-2-box)"), "ces": _("CES (mean)")}.get(kind, _("Mean rating"))


def score_test(kind: str) -> str:
    """The test a trend's flagged change passed, in words."""
    if kind == "nps":
        return _("difference of two NPS, z-test, SE = √(SE₁² + SE₂²), 95 %")
    if kind == "csat":
        return _("difference of two top-2-box shares, z-test, SE = √(SE₁² + SE₂²), 95 %")
    return _("difference of two means, z-test, SE = √(SE₁² + SE₂²), 95 %")


def _number(value: float, kind: str) -> str:
    digits = 0 if kind in ("nps", "csat") else 1
    return formats.number_format(round(value, digits), digits)


def estimate_text(estimate: Estimate | None, kind: str) -> str:
    """ "NPS 38 ± 7", "CSAT (top-2-box) 72 % ± 6", "Mean 5.2 ± 0.3", or why there is no number."""
    if estimate is None:
        return _("Hidden: an anonymous group under its threshold")
    if estimate.too_few or estimate.value is None:
        return _("Too few answers (n = %(n)d; at least %(min)d needed)") % {"n": estimate.n, "min": MIN_ANSWERS}
    unit = " %" if kind == "csat" else ""
    text = f"{score_name(kind)} {_number(estimate.value, kind)}{unit}"
    return f"{text} ± {_number(estimate.margin, kind)}" if estimate.margin is not None else text


def interval_text(estimate: Estimate | None, kind: str) -> str:
    if estimate is None or estimate.too_few or estimate.low is None or estimate.high is None:
        return "—"
    return f"{_number(estimate.low, kind)} – {_number(estimate.high, kind)}"


@dataclass(frozen=True)
class ScoredResult:
    score: QuestionScore
    question: Question | None
    text: str
    interval: str
    chart: DistributionChart | None


@dataclass(frozen=True)
class TrendResult:
    trend: QuestionTrend
    question: Question | None
    chart: TrendChart
    test: str
    flagged: int

    @property
    def rows(self) -> list[tuple[PlottedMark, TrendPoint]]:
        return list(zip(self.chart.marks, self.trend.points, strict=True))


def _scored(scores: list[QuestionScore], questions: dict[str, Question]) -> list[ScoredResult]:
    results = []
    for score in scores:
        question, chart = questions.get(score.code), None
        if not score.hidden and score.n:
            low, high = score.scale
            chart = distribution_chart(
                chart_id=f"dist-{score.code}-{score.kind}",
                title=_("Answers to “%(question)s”") % {"question": question.text if question else score.code},
                description=_("%(n)d answers by score.") % {"n": score.n},
                label_heading=_("Score"),
                counts=[(str(value), score.distribution.get(value, 0)) for value in range(low, high + 1)],
            )
        text = estimate_text(score.estimate, score.kind)
        results.append(ScoredResult(score, question, text, interval_text(score.estimate, score.kind), chart))
    return results


def _trend_scale(trend: QuestionTrend) -> tuple[int, int]:
    if trend.kind == "nps":
        return (-100, 100)
    if trend.kind == "csat":
        return (0, 100)
    return trend.scale


def _month(day: date, long: bool) -> str:
    return formats.date_format(day, "F Y" if long else "M")


def _trends(trends: list[QuestionTrend], questions: dict[str, Question]) -> list[TrendResult]:
    results = []
    for trend in trends:
        question, marks = questions.get(trend.code), []
        for point in trend.points:
            estimate, change = point.estimate, point.change
            shown = estimate is not None and not estimate.too_few
            direction = ""
            if change is not None and change.significant:
                direction = "up" if change.difference > 0 else "down"
            note = "" if shown else estimate_text(estimate, trend.kind)
            if direction:
                note = (
                    _("Significant rise (z = %(z)s)") if direction == "up" else _("Significant fall (z = %(z)s)")
                ) % {"z": formats.number_format(round(change.z, 2), 2) if change else ""}
            marks.append(
                TrendMark(
                    label=_month(point.month, False),
                    long_label=_month(point.month, True),
                    value=estimate.value if shown and estimate else None,
                    low=estimate.low if shown and estimate else None,
                    high=estimate.high if shown and estimate else None,
                    change=direction,
                    note=note,
                )
            )
        name = question.text if question else trend.code
        chart = trend_chart(
            chart_id=f"trend-{trend.code}-{trend.kind}",
            title=_("%(score)s of “%(question)s” by month") % {"score": score_name(trend.kind), "question": name},
            description=_("Each month's score with its 95 % interval; a ringed point with an arrow is a change from "
                          "the month before beyond chance."),
            label_heading=_("Month"),
            value_heading=score_name(trend.kind),
            marks=marks,
            scale=_trend_scale(trend),
        )  # fmt: skip
        flagged = sum(1 for mark in marks if mark.change)
        results.append(TrendResult(trend, question, chart, score_test(trend.kind), flagged))
    return results


def _choices(counted: list[ChoiceCounts], questions: dict[str, Question]) -> list[dict[str, Any]]:
    results = []
    for item in counted:
        question = questions.get(item.code)
        labels = {str(c.get("value")): str(c.get("label")) for c in (question.choices if question else [])}
        order = list(labels) + sorted(set(item.counts) - set(labels))
        chart = None
        if not item.hidden and item.answered:
            chart = distribution_chart(
                chart_id=f"choice-{item.code}",
                title=_("Answers to “%(question)s”") % {"question": question.text if question else item.code},
                description=_("%(n)d answers by choice.") % {"n": item.answered},
                label_heading=_("Choice"),
                counts=[(labels.get(value, value), item.counts.get(value, 0)) for value in order],
            )
        results.append({"counts": item, "question": question, "chart": chart})
    return results


def _survey(request: MemberRequest, survey_id: int) -> Survey:
    """The survey (404 for another organisation's), without the list's counts: over a million responses, counting
    them would cost more than the trend itself."""
    return get_object_for_member(Survey.objects.all(), organization=request.organization, pk=survey_id)


def _filters(request: MemberRequest, survey: Survey) -> ResultFilter:
    responses = Response.objects.filter(organization=request.organization, survey=survey)
    return ResultFilter.for_page(request.GET, responses)


def _options(survey: Survey) -> dict[str, Any]:
    """What the filters offer: the versions, the sends (latest first) and the customers' segments."""
    keeps_segment = not survey.is_anonymous or Survey.Attribute.SEGMENT in survey.kept_attributes
    segments = (
        Customer.objects.filter(organization_id=survey.organization_id).exclude(segment="")
        .order_by("segment").values_list("segment", flat=True).distinct()
    )  # fmt: skip
    return {
        "versions": SurveyVersion.objects.filter(organization_id=survey.organization_id, survey=survey)
        .order_by("-number").values_list("number", flat=True),
        "sends": SurveySend.objects.filter(organization_id=survey.organization_id, survey=survey)
        .order_by("-created_at")[:100],
        "segments": list(segments) if keeps_segment else [],
    }  # fmt: skip


@permission("surveys.view")
@require_GET
def survey_results(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    filters = _filters(request, survey)
    group = filters.group
    questions = latest_questions(survey)
    trend_only = request.GET.get("view") == "trend"
    context: dict[str, Any] = {
        "survey": survey,
        "filters": filters.values,
        "filterset": filters,
        "ignored": filters.ignored(),
        "group_query": urlencode({name: value for name, value in filters.values.items() if value}),
        "trend_only": trend_only,
        "trends": _trends(monthly_trends(survey=survey, group=group), questions),
        "min_answers": MIN_ANSWERS,
        **_options(survey),
    }
    if not trend_only:
        context.update(_full_page(request, survey, group, questions))
    return render(request, "surveys/results/page.html", context)


def _full_page(request: MemberRequest, survey: Survey, group: Group, questions: dict[str, Question]) -> dict[str, Any]:
    figures = participation(survey=survey, group=group)
    text_questions = [q for q in questions.values() if q.kind in TEXT_KINDS]
    chosen = next((q for q in text_questions if q.code == request.GET.get("question")), None)
    chosen = chosen or (text_questions[0] if text_questions else None)
    search = query_text(request.GET, "q")
    texts = None
    if chosen is not None and not figures.hidden:
        answers = text_answers(survey=survey, group=group, code=chosen.code, search=search)
        texts = paginate(request, answers, per_page=TEXT_PAGE_SIZE)
    return {
        "figures": figures,
        "scored": _scored(question_scores(survey=survey, group=group), questions),
        "choices": _choices(choice_counts(survey=survey, group=group), questions),
        "text_questions": text_questions,
        "chosen": chosen,
        "search": search,
        "texts": texts,
    }


# --- the CSV exports ------------------------------------------------------------------------------------------


@permission("surveys.view")
@require_GET
def results_answers_csv(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    """One row per response of the filtered group, one column per question code. An anonymous survey's rows name
    no contact and nothing finer than the day; a group under its threshold gives the header only."""
    survey = _survey(request, survey_id)
    filters = _filters(request, survey)
    codes = list(latest_questions(survey))
    header = [_("Response"), _("Answered on"), _("Source"), _("Language"), _("Version")]
    if not survey.is_anonymous:
        header += [_("Answered at"), _("Contact"), _("Email address"), _("Customer")]
    filename = f"{survey.reference}-answers.csv"
    if participation(survey=survey, group=filters.group).hidden:
        return csv_response(filename, header + codes, [])
    responses = (
        filters.qs.select_related("version", "contact__customer")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .order_by("submitted_on", "pk")
    )
    return csv_response(filename, header + codes, (_answer_row(survey, r, codes) for r in responses.iterator(2000)))


def _answer_row(survey: Survey, response: Response, codes: list[str]) -> list[object]:
    row: list[object] = [
        response.pk, response.submitted_on.isoformat(), response.get_source_display(), response.language,
        response.version.number,
    ]  # fmt: skip
    if not survey.is_anonymous:
        contact = response.contact
        row += [
            response.submitted_at.isoformat() if response.submitted_at else "",
            contact.name if contact else "",
            contact.email if contact else "",
            contact.customer.name if contact and contact.customer else "",
        ]
    answers = {answer.question.code: answer for answer in response.answers.all()}
    for code in codes:
        answer = answers.get(code)
        if answer is None:
            row.append("")
        elif answer.number is not None:
            row.append(answer.number)
        elif answer.choices:
            row.append("; ".join(str(value) for value in answer.choices))
        else:
            row.append(answer.text)
    return row


@permission("surveys.view")
@require_GET
def results_summary_csv(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    """One row per scored question of the filtered group: n, the score, its interval and margin, the too-few flag."""
    survey = _survey(request, survey_id)
    group = _filters(request, survey).group
    questions = latest_questions(survey)
    header = [_("Question code"), _("Question"), _("Score"), _("Answers"), _("Value"), _("Low"), _("High"),
              _("Margin"), _("Too few answers"), _("Hidden")]  # fmt: skip
    rows = []
    for score in question_scores(survey=survey, group=group):
        estimate, question = score.estimate, questions.get(score.code)
        figures = [estimate.value, estimate.low, estimate.high, estimate.margin] if estimate else [None] * 4
        rows.append([
            score.code, question.text if question else "", score_name(score.kind), score.n,
            *("" if value is None else round(value, 2) for value in figures),
            _("yes") if estimate and estimate.too_few else _("no"), _("yes") if score.hidden else _("no"),
        ])  # fmt: skip
    return csv_response(f"{survey.reference}-summary.csv", header, rows)


results_path = "surveys/<int:survey_id>/results/"
urlpatterns = [
    path(results_path, survey_results, name="survey_results"),
    path(f"{results_path}answers.csv", results_answers_csv, name="survey_results_answers"),
    path(f"{results_path}summary.csv", results_summary_csv, name="survey_results_summary"),
]
