"""The inbox's FilterSet (the inbox page, its CSV export, its saved views and the feedback API filter with it) and
the register of monitoring methods' (its page and its CSV export).

The same names and values everywhere (`?status=open&assignee=me` works on the page and the API alike). A page
drops an invalid value and keeps the other filters; the API answers 400 naming the parameter. The page's select
boxes list only the organisation's own customers, members and themes.
"""

from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from feedback.models import FeedbackItem, MonitoringMethod
from feedback.selectors.inbox import (
    ME,
    OPEN,
    UNASSIGNED,
    assignable_members,
    customer_choices,
    feedback_search,
    themes_for,
)
from feedback.selectors.methods import methods_due_by, methods_for_organization
from qms.forms import MAX_ID, DateInput
from qms.listing import PageFilterSet
from qms.tenancy.api import id_filter
from qms.tenancy.models import Organization
from qms.tenancy.requests import MemberRequest

Status = FeedbackItem.Status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class AssigneeField(forms.CharField):
    """me, unassigned, or a user's id."""

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if value in ("", ME, UNASSIGNED):
            return value
        if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID:
            return value
        raise ValidationError(_("Give a member's id, %(me)r or %(unassigned)r.") % {"me": ME, "unassigned": UNASSIGNED})


class AssigneeFilter(django_filters.CharFilter):
    field_class = AssigneeField


class FeedbackFilter(PageFilterSet):
    q = django_filters.CharFilter(method="filter_search", max_length=200, label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=[(OPEN, _("Open (not closed)")), *Status.choices], method="filter_status", empty_label=_("Any status")
    )
    kind = django_filters.ChoiceFilter(choices=FeedbackItem.Kind.choices, empty_label=_("Any kind"))
    channel = django_filters.ChoiceFilter(choices=FeedbackItem.Channel.choices, empty_label=_("Any channel"))
    customer = id_filter("customer_id", label="Customer id")
    contact = id_filter("contact_id", label="Contact id")
    assignee = AssigneeFilter(
        method="filter_assignee", max_length=20, label=f"A member's user id, {ME} or {UNASSIGNED}"
    )
    theme = id_filter("themes", label="Theme id", distinct=True)
    received_from = django_filters.DateFilter(
        field_name="received_on", lookup_expr="gte", label=_("Received from"), widget=DateInput
    )
    received_to = django_filters.DateFilter(
        field_name="received_on", lookup_expr="lte", label=_("Received to"), widget=DateInput
    )

    class Meta:
        model = FeedbackItem
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[FeedbackItem], name: str, value: str) -> QuerySet[FeedbackItem]:
        return feedback_search(queryset, value) if value.strip() else queryset

    def filter_status(self, queryset: QuerySet[FeedbackItem], name: str, value: str) -> QuerySet[FeedbackItem]:
        return queryset.exclude(status=Status.CLOSED) if value == OPEN else queryset.filter(status=value)

    def filter_assignee(self, queryset: QuerySet[FeedbackItem], name: str, value: str) -> QuerySet[FeedbackItem]:
        if value == UNASSIGNED:
            return queryset.filter(assignee__isnull=True)
        if value == ME:
            return queryset.filter(assignee_id=getattr(getattr(self.request, "user", None), "pk", None))
        return queryset.filter(assignee_id=int(value))

    def querystring(self) -> str:
        """The valid filters, in a fixed order: what a saved view stores and what marks a view as the current one."""
        cleaned = self.form.cleaned_data if hasattr(self.form, "cleaned_data") else {}
        return normalised_query(cleaned)


def normalised_query(values: dict) -> str:
    pairs = []
    for name in FeedbackFilter.base_filters:
        value = values.get(name)
        if value in (None, ""):
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        pairs.append((name, str(value).strip()))
    return urlencode(pairs)


def _choice(choices: list[tuple[Any, "StrOrPromise"]], **kwargs: Any) -> forms.TypedChoiceField:
    """A select of the organisation's own rows: another organisation's id is not a choice, so not a filter."""
    return forms.TypedChoiceField(choices=choices, required=False, **kwargs)


def inbox_filters(*, request: MemberRequest, params: QueryDict, queryset: QuerySet[FeedbackItem]) -> FeedbackFilter:
    """The page's filters over the organisation's items: the same filters, with select boxes of its own customers,
    members and themes (whose values the API takes as ids); an invalid value drops its own filter only."""
    organization = request.organization
    filterset = FeedbackFilter(params, queryset=queryset, request=request)
    fields = filterset.form.fields
    customers = [(c.pk, c.name) for c in customer_choices(organization=organization)]
    people = assignable_members(organization=organization)
    members = [(str(m.user_id), m.user.get_full_name() or m.user.email) for m in people]
    themes = [(t.pk, t.name) for t in themes_for(organization=organization)]
    fields["customer"] = _choice([("", _("Any customer")), *customers], coerce=int, empty_value=None)
    fields["assignee"] = _choice([("", _("Anyone")), (ME, _("Me")), (UNASSIGNED, _("Unassigned")), *members])
    fields["theme"] = _choice([("", _("Any theme")), *themes], coerce=int, empty_value=None)
    filterset.form.auto_id = "f-%s"
    for field in fields.values():
        field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
    filterset.is_valid()
    return filterset


INCLUDE = "1"


class MethodFilter(PageFilterSet):
    """The register's filters. `today` (given by the caller, in the organisation's time) decides what is due;
    retired methods are left out unless `retired=1`."""

    q = django_filters.CharFilter(method="filter_search", max_length=200, label="Name or description contains")
    kind = django_filters.ChoiceFilter(choices=MonitoringMethod.Kind.choices, label="Kind")
    owner = id_filter("owner_id", label="Owner")
    due = django_filters.ChoiceFilter(
        choices=[(INCLUDE, "Review due or overdue only")], method="filter_due", label="Review due"
    )
    retired = django_filters.ChoiceFilter(
        choices=[("0", "Active only"), (INCLUDE, "Include retired methods")], method="filter_retired", label="Retired"
    )

    class Meta:
        model = MonitoringMethod
        fields: list[str] = []

    def __init__(self, data: QueryDict | None = None, *args: Any, today: date, **kwargs: Any) -> None:
        params = data.copy() if data is not None else QueryDict(mutable=True)
        if params.get("retired") != INCLUDE:
            params["retired"] = "0"  # an absent or unknown value keeps retired methods out
        super().__init__(params, *args, **kwargs)
        self.today = today

    def filter_search(self, queryset: QuerySet[MonitoringMethod], name: str, value: str) -> QuerySet[MonitoringMethod]:
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(Q(name__icontains=term) | Q(description__icontains=term))

    def filter_due(self, queryset: QuerySet[MonitoringMethod], name: str, value: str) -> QuerySet[MonitoringMethod]:
        return methods_due_by(queryset, self.today) if value == INCLUDE else queryset

    def filter_retired(self, queryset: QuerySet[MonitoringMethod], name: str, value: str) -> QuerySet[MonitoringMethod]:
        return queryset if value == INCLUDE else queryset.filter(retired_at__isnull=True)


def method_filters(*, organization: Organization, params: QueryDict, today: date) -> MethodFilter:
    """The register page's filters over the organisation's methods; an invalid value drops its own filter only."""
    return MethodFilter.for_page(params, methods_for_organization(organization=organization), today=today)
