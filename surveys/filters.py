"""The surveys' FilterSets: the survey list's (the page filters with it, and the surveys API will too:
`?status=draft&q=nps`), a send's invitations', a survey's responses' and its results'.

Archived surveys are left out unless `status=archived` asks for them. A page drops an invalid value and keeps the
other filters; the API answers 400 naming the parameter."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.models import FeedbackItem
from qms.forms import MAX_ID, DateInput
from qms.listing import PageFilterSet
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Organization
from surveys.models import Campaign, CampaignExclusion, Invitation, Response, Survey
from surveys.selectors.campaigns import campaign_search
from surveys.selectors.results import Group
from surveys.selectors.surveys import survey_search, surveys_for_organization

ARCHIVED = "archived"
FOLLOW_UP_CHOICES = [
    ("any", _("Followed up")),
    ("open", _("Follow-up open")),
    ("closed", _("Follow-up closed")),
    ("none", _("Not followed up")),
]


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


def respondent_matches(value: str) -> Q:
    """An invitation's or a response's contact by name or address, or the contact's customer by name."""
    return (
        Q(contact__name__icontains=value) | Q(contact__email__icontains=value)
        | Q(contact__customer__name__icontains=value)
    )  # fmt: skip


class InvitationFilter(PageFilterSet):
    """A send's invitations: by whom (the contact's name or address, the customer's name) and where they stand."""

    q = django_filters.CharFilter(method="filter_search", max_length=200, label=_("Search"))
    state = django_filters.ChoiceFilter(
        choices=[
            ("answered", _("Answered")),
            ("waiting", _("Not answered yet")),
            ("expired", _("Expired")),
            ("revoked", _("Revoked")),
            ("failed", _("Email failed")),
        ],
        method="filter_state",
        empty_label=_("Any state"),
        label=_("State"),
    )

    class Meta:
        model = Invitation
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Invitation], name: str, value: str) -> QuerySet[Invitation]:
        return queryset.filter(respondent_matches(value))

    def filter_state(self, queryset: QuerySet[Invitation], name: str, value: str) -> QuerySet[Invitation]:
        now = timezone.now()
        unanswered = Q(answered_at__isnull=True, revoked_at__isnull=True)
        return queryset.filter(
            {
                "answered": Q(answered_at__isnull=False),
                "waiting": unanswered & Q(expires_at__gt=now),
                "expired": unanswered & Q(expires_at__lte=now),
                "revoked": Q(revoked_at__isnull=False),
                "failed": Q(message__state=OutboxMessage.State.FAILED),
            }[value]
        )


class ResponseFilter(PageFilterSet):
    """A survey's responses: by who answered (name, address, customer), by version and by how they came."""

    q = django_filters.CharFilter(method="filter_search", max_length=200, label=_("Search"))
    version = django_filters.NumberFilter(
        field_name="version__number", min_value=1, max_value=10_000, label=_("Version")
    )
    source = django_filters.ChoiceFilter(
        choices=Response.Source.choices, empty_label=_("Any source"), label=_("Source")
    )
    follow_up = django_filters.ChoiceFilter(
        choices=FOLLOW_UP_CHOICES, method="filter_follow_up", empty_label=_("With or without"), label=_("Follow-up")
    )
    answered_from = django_filters.DateFilter(
        field_name="submitted_on", lookup_expr="gte", label=_("Answered from"), widget=DateInput
    )
    answered_to = django_filters.DateFilter(
        field_name="submitted_on", lookup_expr="lte", label=_("Answered to"), widget=DateInput
    )

    class Meta:
        model = Response
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Response], name: str, value: str) -> QuerySet[Response]:
        return queryset.filter(respondent_matches(value))

    def filter_follow_up(self, queryset: QuerySet[Response], name: str, value: str) -> QuerySet[Response]:
        followed = Q(follow_up__isnull=False)
        return queryset.filter(
            {"any": followed, "open": followed & ~Q(follow_up__item__status=FeedbackItem.Status.CLOSED),
             "closed": Q(follow_up__item__status=FeedbackItem.Status.CLOSED), "none": ~followed}[value]
        )  # fmt: skip


class ResultFilter(PageFilterSet):
    """Which answers a survey's results count (the page and its CSV exports alike): a version, a send, the
    respondents' segment, a period. Its `group` is what the results' selectors take."""

    version = django_filters.NumberFilter(method="filter_group", min_value=1, max_value=10_000, label=_("Version"))
    send = django_filters.NumberFilter(method="filter_group", min_value=1, max_value=MAX_ID, label=_("Send"))
    segment = django_filters.CharFilter(method="filter_group", max_length=100, label=_("Segment"))
    since = django_filters.DateFilter(field_name="submitted_on", lookup_expr="gte", label=_("From"))
    until = django_filters.DateFilter(field_name="submitted_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Response
        fields: list[str] = []

    def filter_group(self, queryset: QuerySet[Response], name: str, value: object) -> QuerySet[Response]:
        return queryset  # the whole group narrows the queryset at once (filter_queryset)

    def filter_queryset(self, queryset: QuerySet[Response]) -> QuerySet[Response]:
        return queryset.filter(self.group.responses())

    @property
    def group(self) -> Group:
        cleaned = self.form.cleaned_data if hasattr(self.form, "cleaned_data") else {}
        version, send = cleaned.get("version"), cleaned.get("send")
        return Group(
            version=int(version) if version is not None else None,
            send=int(send) if send is not None else None,
            segment=(cleaned.get("segment") or "").strip(),
            since=cleaned.get("since"),
            until=cleaned.get("until"),
        )


class CampaignFilter(PageFilterSet):
    """The campaign list: by name, reference or survey, and by status."""

    q = django_filters.CharFilter(method="filter_search", max_length=200, label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=Campaign.Status.choices, empty_label=_("Any status"), label=_("Status")
    )

    class Meta:
        model = Campaign
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Campaign], name: str, value: str) -> QuerySet[Campaign]:
        return campaign_search(queryset, value)


class ExclusionFilter(PageFilterSet):
    """What a campaign's waves left out: by reason, by wave, by the contact's name or address."""

    q = django_filters.CharFilter(method="filter_search", max_length=200, label=_("Search"))
    reason = django_filters.ChoiceFilter(
        choices=CampaignExclusion.Reason.choices, empty_label=_("Any reason"), label=_("Reason")
    )
    wave = django_filters.NumberFilter(field_name="step__wave", min_value=1, max_value=MAX_ID, label=_("Wave"))

    class Meta:
        model = CampaignExclusion
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[CampaignExclusion], name: str, value: str) -> QuerySet:
        return queryset.filter(respondent_matches(value))
