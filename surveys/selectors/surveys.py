"""Reads of the surveys a quality manager designs: the list, one survey's page, its versions and questions, and
how complete each translation is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from qms.tenancy.access import get_object_for_member
from qms.tenancy.models import Organization
from surveys.models import Question, Response, Survey, SurveySend, SurveyVersion
from surveys.rules import language_name
from surveys.starters import STARTERS, Starter
from surveys.texts import missing_texts


def _counted(rows: QuerySet[Any]) -> Coalesce:
    """How many of `rows` each survey has: one grouped subquery each, so that the counts never multiply."""
    rows = rows.filter(organization_id=OuterRef("organization_id"), survey_id=OuterRef("pk"))
    counted = rows.order_by().values("survey_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def surveys_for_organization(*, organization: Organization) -> QuerySet[Survey]:
    """Every survey of the organisation, archived ones included, newest first, each with `send_count`,
    `response_count` and `version_count` (surveys.filters.SurveyFilter narrows it)."""
    return (
        Survey.objects.filter(organization=organization)
        .annotate(
            send_count=_counted(SurveySend.objects.all()),
            response_count=_counted(Response.objects.all()),
            version_count=_counted(SurveyVersion.objects.all()),
        )
        .order_by("-created_at", "-pk")
    )


def survey_search(queryset: QuerySet[Survey], term: str) -> QuerySet[Survey]:
    term = term.strip()
    if not term:
        return queryset
    return queryset.filter(Q(name__icontains=term) | Q(reference__icontains=term) | Q(description__icontains=term))


def access_survey(*, organization: Organization, survey_id: int) -> Survey:
    """One survey of this organisation (404 otherwise), with its counts."""
    return get_object_for_member(
        surveys_for_organization(organization=organization).select_related("created_by"),
        organization=organization,
        pk=survey_id,
    )


def survey_versions(*, survey: Survey) -> list[SurveyVersion]:
    """The survey's versions, latest first, each with `question_count`."""
    versions: list[SurveyVersion] = list(
        SurveyVersion.objects.filter(organization_id=survey.organization_id, survey=survey).annotate(
            question_count=Count("questions")
        )
    )
    for version in versions:
        version.survey = survey
    return versions


def version_questions(*, version: SurveyVersion) -> list[Question]:
    return list(Question.objects.filter(organization_id=version.organization_id, version=version).order_by("position"))


def access_question(*, survey: Survey, question_id: int) -> Question:
    """A question of any version of the survey (404 otherwise)."""
    question = get_object_for_member(
        Question.objects.select_related("version"),
        organization=survey.organization,
        pk=question_id,
        version__survey=survey,
    )
    question.version.survey = survey
    return question


@dataclass(frozen=True)
class LanguageStatus:
    code: str
    name: str
    is_default: bool
    missing: list[str]
    total: int

    @property
    def complete(self) -> bool:
        return not self.missing


def translation_status(*, version: SurveyVersion, questions: list[Question]) -> list[LanguageStatus]:
    """Per language of the version (the default first): which texts it still lacks (surveys.texts.missing_texts,
    the send's gate)."""
    from surveys.texts import required_keys

    statuses = []
    for code in version.languages:
        missing = missing_texts(version, code, questions)
        is_default = code == version.survey.default_language
        total = len(missing) if is_default else len(required_keys(version, code, questions))
        statuses.append(LanguageStatus(code, language_name(code), is_default, missing, total))
    return statuses


def starter_choices(*, organization: Organization) -> tuple[list[Starter], list[Survey]]:
    """What a new survey can start from: the built-in starters and the organisation's saved templates."""
    templates = list(
        Survey.objects.filter(organization=organization, is_template=True, archived_at__isnull=True).order_by("name")
    )
    return list(STARTERS.values()), templates
