"""The member list's one FilterSet: the members page and the members API filter with it.

Both search a member's name and email and filter by role. The page drops a value it does not understand (the
rest still apply); the API answers 400 naming the parameter.
"""

import django_filters
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from qms.listing import PageFilterSet

from .models import Membership, Organization, Role
from .selectors import members_for_organization


class MemberFilter(PageFilterSet):
    q = django_filters.CharFilter(method="filter_search", max_length=200, label=_("Name or email contains"))
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"))

    class Meta:
        model = Membership
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Membership], name: str, value: str) -> QuerySet[Membership]:
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(Q(user__email__icontains=term) | Q(user__full_name__icontains=term))


def member_filters(*, organization: Organization, params: QueryDict) -> MemberFilter:
    """The page's filters over the organisation's current members; an invalid value drops its own filter only."""
    return MemberFilter.for_page(params, members_for_organization(organization=organization))
