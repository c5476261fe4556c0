"""Reads of the surveys a quality manager designs: the list, one survey's page, its versions and questions, and
how complete each translation is."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from qms.tenancy.access import get_object_for_member
from qms.tenancy.models import Organization
from surveys.models import Question, Survey, SurveyVersion
from surveys.rules import language_name
from surveys.starters import STARTERS, Starter
from surveys.texts import missing_texts


def surveys_for_organization(*, organization: Organization) -> QuerySet[Survey]:
    """Every survey of the organisation, archived ones included, newest first, each with `send_count`,
    `response_count` and `version_count` (surveys.filters.SurveyFilter narrows it)."""
    return (
        Survey.objects.filter(organization=organization)
        .annotate(
            send_count=Count("sends", distinct=True),
            response_count=Count("responses", distinct=True),
            version_count=Count("versions", distinct=True),
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
