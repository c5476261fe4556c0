"""Sortable list pages: `?sort=<key>` or `?sort=-<key>`, from an allow-list of keys per list.

A list declares its keys once (`CUSTOMER_SORTS = Sorts(name=("name",), region=("region", "name"))`); its view
calls `sorts.apply(queryset, request.GET)` and puts the returned `Sorting` in the context as `sorting`, which the
`{% sort_header %}` tag of `qms.ui` reads to draw each column's link and `aria-sort`. A key the list does not
declare is no sort at all: the queryset keeps the order its selector gave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from django.http import QueryDict

PARAM = "sort"

Q = TypeVar("Q", bound=QuerySet[Any])


@dataclass(frozen=True)
class Sorting:
    """What the page is sorted by: the key (without its sign) and the direction; an empty key is the default."""

    key: str = ""
    descending: bool = False

    @property
    def value(self) -> str:
        return f"-{self.key}" if self.descending else self.key


class Sorts:
    """The keys a list may be sorted by, each the fields it orders on (ascending; `-key` reverses them all).

    `default` names the order the selector already gives (`"-received"`), so that its column shows as sorted.
    Empty values sort last either way, and the primary key breaks ties so pages never overlap.
    """

    def __init__(self, *, default: str = "", **keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.default = default

    def parse(self, params: QueryDict) -> Sorting:
        value = params.get(PARAM, "") or self.default
        key = value.removeprefix("-")
        if key not in self.keys:
            return Sorting()
        return Sorting(key=key, descending=value.startswith("-"))

    def apply(self, queryset: Q, params: QueryDict) -> tuple[Q, Sorting]:
        sorting = self.parse(params)
        if not sorting.key or not params.get(PARAM):
            return queryset, sorting
        return queryset.order_by(*self._ordering(sorting)), sorting

    def _ordering(self, sorting: Sorting) -> list[OrderBy]:
        fields = self.keys[sorting.key]
        if sorting.descending:
            ordering = [F(name).desc(nulls_last=True) for name in fields]
            return [*ordering, F("pk").desc()]
        return [*(F(name).asc(nulls_last=True) for name in fields), F("pk").asc()]
