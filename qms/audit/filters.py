"""The audit trail's one FilterSet: the trail page, its CSV export and the audit-events API filter with it.

A page drops a value it does not understand and says which (the others still apply); the API answers 400 naming
the parameter. `type` is the page's name for `object_type`.
"""

import django_filters
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from qms.listing import PageFilterSet
from qms.tenancy.api import id_filter
from qms.tenancy.models import Organization

from .models import AuditEvent
from .selectors import audit_events


class AuditEventFilter(PageFilterSet):
    # Declared explicitly: django-filter's automatic filters query the scoped default manager at import time.
    q = django_filters.CharFilter(method="filter_search", max_length=200, label=_("Search"))
    actor = id_filter("actor_id", label=_("Person"))
    object_type = django_filters.CharFilter(max_length=100, label=_("Object type"))
    type = django_filters.CharFilter(field_name="object_type", max_length=100, label=_("Object type"))
    object_id = django_filters.CharFilter(max_length=64, label=_("Object id"))
    action = django_filters.CharFilter(max_length=64, label=_("Action"))
    since = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("From"))
    until = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("To"))

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(
            Q(object_repr__icontains=term) | Q(action__icontains=term) | Q(actor_label__icontains=term)
        )


def trail_filters(*, organization: Organization, params: QueryDict) -> AuditEventFilter:
    """The page's filters over the organisation's events; an invalid value drops its own filter only."""
    return AuditEventFilter.for_page(params, audit_events(organization=organization))
