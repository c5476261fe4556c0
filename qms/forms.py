"""Form helpers shared by every app's views."""

from datetime import datetime
from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1  # the largest row id SQL's bigint holds

ISO_DATE = "%Y-%m-%d"
ISO_MINUTE = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (2026-06-27) whatever the language's date format: a
    browser empties a date input it cannot read (27/06/2026), and saving the page unchanged then erases the date."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker (to the minute, in the current time zone), ISO for the same reason."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_MINUTE)


def _shared_widget(field: forms.Field) -> forms.Widget | None:
    """The shared picker a date or date-and-time field should have, when it has another widget."""
    if isinstance(field, forms.DateTimeField) and not isinstance(field.widget, DateTimeInput):
        return DateTimeInput(attrs=_own_attrs(field.widget))
    if isinstance(field, forms.DateField) and not isinstance(field.widget, DateInput):
        return DateInput(attrs=_own_attrs(field.widget))
    return None


def _own_attrs(widget: forms.Widget) -> dict[str, Any]:
    return {name: value for name, value in widget.attrs.items() if name != "type"}


class DateWidgetsMixin:
    """Every date field of the form gets the shared ISO picker, whatever widget it was declared with, so that no date
    field can lose its value to a format the browser cannot read. A date and time submitted exactly as it was shown
    keeps its stored value (the picker shows minutes; the stored value may carry seconds)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in cast(forms.BaseForm, self).fields.values():
            widget = _shared_widget(field)
            if widget is not None:
                field.widget = widget

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        form = cast(forms.BaseForm, self)
        for name, field in form.fields.items():
            stored = form.initial.get(name)
            if not (isinstance(field, forms.DateTimeField) and isinstance(stored, datetime) and name in cleaned):
                continue
            if form[name].data == field.widget.format_value(field.prepare_value(stored)):
                cleaned[name] = stored
        return cleaned


class CrispyMixin(DateWidgetsMixin):
    """The project's form layout (crispy-bootstrap5): fields only, the page's template writes the <form> tag and
    its buttons, so one page can hold several small forms."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """Several rows chosen by id (ticked boxes): a value that is no row id a database can hold (1 to 2**63 - 1) is
    refused as an invalid choice before the rows are looked up, so that no database is asked for it."""

    def clean(self, value: Any) -> Any:
        for pk in value or ():
            text = str(pk)
            if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super().clean(value)


def shortcut(field: forms.Field, key: str) -> None:
    """Give a field a keyboard shortcut: static/js/shortcuts.js focuses it when the key is pressed outside a field
    (and lists it under "?"), and assistive technology announces the key (aria-keyshortcuts)."""
    field.widget.attrs.update({"data-shortcut": key, "aria-keyshortcuts": key})


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where the form has that field, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
