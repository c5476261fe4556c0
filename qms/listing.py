"""Pagination, query-string filters and CSV export shared by every list page."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, Self, TypeVar

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from qms.forms import MAX_ID, DateWidgetsMixin

PAGE_SIZE = 50
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


LOWER_BOUNDS, UPPER_BOUNDS = ("gte", "gt"), ("lte", "lt")
DATE_RANGE = "date_range"


class FilterForm(DateWidgetsMixin, forms.Form):
    """The form of every list's filters: the shared date pickers, and an upper date before its lower one is an error
    on the upper one (which is then ignored, like any invalid filter) rather than a list that is silently empty."""

    date_ranges: Sequence[tuple[str, str]] = ()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for lower, upper in self.date_ranges:
            start, end = cleaned.get(lower), cleaned.get(upper)
            if start is not None and end is not None and start > end:
                first, last = self.fields[lower].label, self.fields[upper].label
                message = _("The “%(last)s” date is before the “%(first)s” date.") % {"last": last, "first": first}
                self.add_error(upper, forms.ValidationError(message, code=DATE_RANGE))
        return cleaned


class PageFilterSet(django_filters.FilterSet):
    """A list's one FilterSet (the page, its CSV export and the API filter with it), with what a page needs of it.

    A page calls `for_page`: an invalid value drops its own filter only (the rest still apply), `values` is what
    the page's form shows (an invalid value reads as empty) and `ignored()` names the filters it dropped. The API
    uses the class as `filterset_class` and answers 400 for the same invalid value. Declare every filter
    explicitly: django-filter's automatic ones would query the scoped default manager at import time.
    """

    @classmethod
    def date_ranges(cls) -> list[tuple[str, str]]:
        """(lower, upper) of each date field that the list bounds from both sides (a from and a to)."""
        bounds: dict[str, dict[bool, str]] = {}
        for name, filter_ in cls.base_filters.items():
            if isinstance(filter_, django_filters.DateFilter | django_filters.DateTimeFilter):
                lookup = str(filter_.lookup_expr).rpartition("__")[2]
                if lookup in LOWER_BOUNDS + UPPER_BOUNDS:
                    bounds.setdefault(filter_.field_name, {})[lookup in LOWER_BOUNDS] = name
        return [(pair[True], pair[False]) for pair in bounds.values() if len(pair) == 2]

    def get_form_class(self) -> type[forms.Form]:
        fields: dict[str, Any] = {name: filter_.field for name, filter_ in self.filters.items()}
        fields["date_ranges"] = self.date_ranges()
        return type(f"{type(self).__name__}Form", (FilterForm, self._meta.form), fields)

    @classmethod
    def for_page(cls, params: QueryDict, queryset: QuerySet[Any], **kwargs: Any) -> Self:
        filterset = cls(params, queryset=queryset, **kwargs)
        filterset.is_valid()
        return filterset

    @property
    def values(self) -> dict[str, str]:
        cleaned = self.form.cleaned_data if self.is_bound and hasattr(self.form, "cleaned_data") else {}
        return {name: str(cleaned.get(name) or "") for name in self.filters}

    def ignored(self) -> list[str]:
        """The labels of the filters whose values were not understood (and so not applied); an upper date before its
        lower one says so: "To (before From)"."""
        ranges = dict((upper, lower) for lower, upper in self.date_ranges())
        labels = []
        for name, errors in self.form.errors.as_data().items():
            if name not in self.filters:
                continue
            label = str(self.filters[name].label)
            if any(error.code == DATE_RANGE for error in errors):
                label = _("%(label)s (before %(other)s)") % {"label": label, "other": self.filters[ranges[name]].label}
            labels.append(label)
        return labels


def query_text(params: QueryDict, name: str, max_length: int = 200) -> str:
    """A free-text filter from the query string: stripped and cut to max_length. A value with a NUL character
    (which no database text can hold, and no person types) is no filter at all."""
    value = params.get(name, "").strip()[:max_length]
    return "" if "\x00" in value else value


def query_id(params: QueryDict, name: str) -> int | None:
    """A row id from the query string, or None when the value is not one (ASCII digits, 1 to 2**63 - 1)."""
    value = params.get(name, "")
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def paginate(
    request: HttpRequest,
    queryset: QuerySet[Model, T] | Sequence[T],
    *,
    per_page: int = PAGE_SIZE,
    param: str = "page",  # another name where one page shows two lists
) -> Page[T]:
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    page.querystring = query.urlencode()  # type: ignore[attr-defined]  # read by the page links
    page.param = param  # type: ignore[attr-defined]
    return page


def safe_cell(value: object) -> str:
    """Neutralise spreadsheet formula injection: a cell that starts like a formula is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[object]]) -> HttpResponse:
    """Render the whole file inside the request (and so inside the organisation's scope and transaction)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
