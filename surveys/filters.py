"""The survey list's FilterSet: the page filters with it, and the surveys API will too (`?status=draft&q=nps`).

Archived surveys are left out unless `status=archived` asks for them. A page drops an invalid value and keeps the
other filters; the API answers 400 naming the parameter."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from qms.listing import PageFilterSet
from qms.tenancy.models import Organization
from surveys.models import Survey
from surveys.selectors.surveys import survey_search, surveys_for_organization

ARCHIVED = "archived"


class SurveyFilter(PageFilterSet):
    q = django_filters.CharFilter(method="filter_search", max_length=200, label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=[*Survey.Status.choices, (ARCHIVED, _("Archived"))],
        method="filter_status",
        empty_label=_("Any status"),
        label=_("Status"),
    )
    privacy = django_filters.ChoiceFilter(
        choices=Survey.Privacy.choices, empty_label=_("Any privacy"), label=_("Privacy")
    )

    class Meta:
        model = Survey
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Survey], name: str, value: str) -> QuerySet[Survey]:
        return survey_search(queryset, value)

    def filter_status(self, queryset: QuerySet[Survey], name: str, value: str) -> QuerySet[Survey]:
        if value == ARCHIVED:
            return queryset.filter(archived_at__isnull=False)
        return queryset.filter(status=value)

    def filter_queryset(self, queryset: QuerySet[Survey]) -> QuerySet[Survey]:
        if self.form.cleaned_data.get("status") != ARCHIVED:
            queryset = queryset.filter(archived_at__isnull=True)
        return super().filter_queryset(queryset)


def survey_filters(*, organization: Organization, params: QueryDict) -> SurveyFilter:
    """The list page's filters over the organisation's surveys; an invalid value drops its own filter only."""
    return SurveyFilter.for_page(params, surveys_for_organization(organization=organization))
