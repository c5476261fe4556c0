"""The inbox's bulk bar: which items (the ticked rows), which action, and what the action needs."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from feedback.models import Theme
from feedback.services.bulk import MAX_BULK_ITEMS
from qms.accounts.models import User
from qms.tenancy.models import Membership

ASSIGN, TAG, CLOSE = "assign", "tag", "close"
NOBODY = "nobody"
TOO_MANY = ngettext_lazy("Select at most %(n)d item at a time.", "Select at most %(n)d items at a time.", "n")


class ItemIdsField(forms.Field):
    """The ids of the ticked rows (`items`, once per row): whole numbers, each once, at most MAX_BULK_ITEMS."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select the items to change first: tick their boxes in the list."),
        "invalid": _("The selected items could not be read. Select them again."),
        "too_many": TOO_MANY,
    }

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            ids = list(dict.fromkeys(int(v) for v in values))
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if len(ids) > MAX_BULK_ITEMS:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many", params={"n": MAX_BULK_ITEMS})
        return ids


class BulkForm(forms.Form):
    items = ItemIdsField()
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("", _("Choose an action")),
            (ASSIGN, _("Assign to")),
            (TAG, _("Add the theme")),
            (CLOSE, _("Close with the note")),
        ],
        error_messages={"required": _("Choose what to do with the selected items.")},
    )
    assignee = forms.ChoiceField(label=_("Person"), required=False)
    theme = forms.ChoiceField(label=_("Theme"), required=False)
    new_theme = forms.CharField(label=_("Or a new theme"), max_length=80, required=False)
    note = forms.CharField(
        label=_("Closing note"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 1})
    )
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, members: QuerySet[Membership], themes: QuerySet[Theme], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            css = "form-select" if isinstance(bound.widget, forms.Select) else "form-control"
            bound.widget.attrs.setdefault("class", css)
        self._users = {str(m.user_id): m.user for m in members}
        self._themes = {str(theme.pk): theme for theme in themes}
        assignee, theme = self.fields["assignee"], self.fields["theme"]
        assert isinstance(assignee, forms.ChoiceField) and isinstance(theme, forms.ChoiceField)
        assignee.choices = [("", _("Choose a person")), (NOBODY, _("Nobody (unassign)"))] + [
            (str(m.user_id), m.user.get_full_name() or m.user.email) for m in members
        ]
        theme.choices = [("", _("Choose a theme"))] + [(pk, t.name) for pk, t in self._themes.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == ASSIGN and not data.get("assignee"):
            self.add_error("assignee", _("Choose who to assign the items to, or Nobody to unassign them."))
        if action == TAG and not (data.get("theme") or data.get("new_theme", "").strip()):
            self.add_error("theme", _("Choose a theme to add, or name a new one."))
        if action == CLOSE and not data.get("note", "").strip():
            self.add_error("note", _("Say how the feedback was handled before closing it."))
        return data

    def too_many(self) -> bool:
        return any(error.code == "too_many" for error in self.errors.as_data().get("items", []))

    def assignee_user(self) -> User | None:
        return self._users.get(self.cleaned_data["assignee"])

    def theme_row(self) -> Theme | None:
        return self._themes.get(self.cleaned_data["theme"])
