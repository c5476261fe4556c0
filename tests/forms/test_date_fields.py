"""No date field of any form can lose its value: each shows its value as the browser's picker reads it (ISO), so a
form saved unchanged keeps its dates. tests/e2e/test_edit_forms_unchanged.py saves every edit form in chromium."""

import contextlib
import copy
import importlib
from datetime import date, datetime, timedelta

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.utils import timezone

from feedback.forms.methods import MonitoringMethodForm
from qms.accounts.forms import MembershipForm
from qms.forms import CrispyMixin, DateInput, DateTimeInput, DateWidgetsMixin
from qms.listing import PageFilterSet
from qms.tenancy.models import Membership
from tests.factories import MonitoringMethodFactory

PROJECT = ("qms", "customers", "feedback", "surveys", "complaints", "capa", "suppliers", "reports")
FORM_MODULES = ("forms", "filters", "forms.inbox", "forms.methods", "forms.public")
SAMPLE_DATE, SAMPLE_DATETIME = date(2026, 6, 27), datetime(2026, 6, 27, 9, 30)


def _project_subclasses(base: type) -> list[type]:
    for config in apps.get_app_configs():
        if config.name.split(".")[0] in PROJECT:
            for name in FORM_MODULES:
                with contextlib.suppress(ModuleNotFoundError):
                    importlib.import_module(f"{config.name}.{name}")
    found, todo = [], list(base.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PROJECT:
            found.append(cls)
    return found


def _date_fields(fields: dict[str, forms.Field]) -> dict[str, forms.Field]:
    return {name: f for name, f in fields.items() if isinstance(f, forms.DateField | forms.DateTimeField)}


def _shows_iso(field: forms.Field) -> bool:
    if isinstance(field, forms.DateTimeField):
        return field.widget.format_value(SAMPLE_DATETIME) == "2026-06-27T09:30"
    return field.widget.format_value(SAMPLE_DATE) == "2026-06-27"


def test_the_method_edit_page_shows_its_last_review_date_as_the_date_picker_reads_it(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, last_reviewed_on=SAMPLE_DATE)
    page = login(alpha.manager).get(f"/o/alpha/methods/{method.pk}/edit/").content.decode()
    assert 'type="date"' in page
    assert 'value="2026-06-27"' in page
    assert "27/06/2026" not in page


def test_the_method_form_renders_its_date_as_iso():
    form = MonitoringMethodForm(members=Membership.objects.none(), initial={"last_reviewed_on": SAMPLE_DATE})
    html = str(form["last_reviewed_on"])
    assert 'type="date"' in html and 'value="2026-06-27"' in html


def test_a_date_field_declared_with_django_s_own_widget_gets_the_shared_picker():
    class Dated(CrispyMixin, forms.Form):
        on = forms.DateField(widget=forms.DateInput(attrs={"class": "x"}))
        at = forms.DateTimeField()

    form = Dated(initial={"on": SAMPLE_DATE, "at": timezone.make_aware(SAMPLE_DATETIME)})
    assert isinstance(form.fields["on"].widget, DateInput) and form.fields["on"].widget.attrs == {"class": "x"}
    assert isinstance(form.fields["at"].widget, DateTimeInput)
    assert 'value="2026-06-27"' in str(form["on"]) and 'value="2026-06-27T09:30"' in str(form["at"])


def test_a_date_and_time_submitted_as_shown_keeps_its_seconds_and_a_changed_one_is_taken():
    stored = timezone.now().replace(second=41, microsecond=123456) + timedelta(days=30)
    shown = timezone.localtime(stored).strftime("%Y-%m-%dT%H:%M")
    form = MembershipForm({"role": "auditor", "expires_at": shown}, initial={"role": "auditor", "expires_at": stored})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expires_at"] == stored
    later = (timezone.localtime(stored) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    changed = MembershipForm({"role": "auditor", "expires_at": later}, initial={"expires_at": stored})
    assert changed.is_valid()
    assert changed.cleaned_data["expires_at"] == stored.replace(second=0, microsecond=0) + timedelta(minutes=1)


def test_every_form_of_the_project_shows_its_dates_as_iso():
    """A form with a date field either takes the shared pickers (CrispyMixin, DateWidgetsMixin) or declares them."""
    wrong = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _project_subclasses(forms.BaseForm)
        if not issubclass(cls, DateWidgetsMixin)
        for name, field in _date_fields(getattr(cls, "base_fields", {})).items()
        if not _shows_iso(field)
    ]
    assert not wrong, wrong


def test_every_filter_set_of_the_project_shows_its_dates_as_iso():
    wrong = []
    for cls in _project_subclasses(django_filters.FilterSet):
        if issubclass(cls, PageFilterSet):  # its form as the list builds it, without the list's own arguments
            filterset = cls.__new__(cls)
            filterset.filters = copy.deepcopy(cls.base_filters)
            fields = filterset.get_form_class()().fields
        else:
            fields = {name: f.field for name, f in cls.base_filters.items()}
        wrong += [f"{cls.__module__}.{cls.__name__}.{name}" for name, f in _date_fields(fields).items()
                  if not _shows_iso(f)]  # fmt: skip
    assert not wrong, wrong


pytestmark = pytest.mark.django_db
