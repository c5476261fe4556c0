"""Forms of the feedback inbox. Choices come only from the organisation's own rows, handed in by the view."""

import calendar
from datetime import date
from typing import TYPE_CHECKING, Any

from crispy_forms.layout import HTML, Layout
from django import forms
from django.core.files.base import File
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from customers.models import Contact, Customer
from feedback.conversion import conversions
from feedback.filters import normalised_query
from feedback.models import FeedbackItem, Theme
from feedback.selectors.inbox import ME, OPEN, UNASSIGNED
from feedback.services.attachments import check_upload
from qms.accounts.models import User
from qms.forms import CrispyMixin, DateInput, RowsChoiceField, shortcut
from qms.tenancy.models import Membership

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        return f"{obj.name} ({obj.customer.name})" if obj.customer is not None else obj.name


# Plain strings marked for the catalogue (tests compare the English with the page); translated where they are used.
KIND_MISSING = gettext_noop("Choose what kind of feedback this is.")
CONTACT_NOT_OF_CUSTOMER = gettext_noop(
    "That person is not a contact of the chosen customer. Choose one of its contacts, or none."
)
REFRESH = "refresh"  # the name of the button that narrows the contacts to the chosen customer, saving nothing


class FeedbackForm(CrispyMixin, forms.Form):
    """What was recorded. The contacts offered are the chosen customer's (the view narrows them): without
    JavaScript "Show its contacts" re-renders the form; with htmx, choosing a customer swaps the contact field."""

    channel = forms.ChoiceField(
        label=_("Channel"), choices=FeedbackItem.Channel.choices, help_text=_("How the feedback reached you.")
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("Choose a kind")), *FeedbackItem.Kind.choices],
        error_messages={"required": _(KIND_MISSING)},
    )
    received_on = forms.DateField(label=_("Date received"), widget=DateInput)
    customer: "forms.ModelChoiceField[Customer]" = forms.ModelChoiceField(
        label=_("Customer"), queryset=None, required=False, empty_label=_("No customer on file")
    )
    contact = ContactChoiceField(
        label=_("Contact"),
        queryset=None,
        required=False,
        empty_label=_("No contact on file"),
        error_messages={"invalid_choice": _(CONTACT_NOT_OF_CUSTOMER)},
    )
    submitter_name = forms.CharField(
        label=_("Submitter name"), max_length=200, required=False, help_text=_("When the person is not a contact.")
    )
    submitter_email = forms.EmailField(label=_("Submitter email"), required=False)
    product = forms.CharField(label=_("Product or service"), max_length=200, required=False)
    text = forms.CharField(label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 6}))
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("Optional. PDF, image, Office document or plain text, at most 10 MB; checked by its content."),
    )

    def __init__(
        self,
        *args: Any,
        customers: QuerySet[Customer],
        contacts: QuerySet[Contact],
        customer: Customer | None = None,
        refresh_url: str = "",
        with_attachment: bool = True,
        today: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        customer_field, contact_field = self.fields["customer"], self.fields["contact"]
        assert isinstance(customer_field, forms.ModelChoiceField) and isinstance(contact_field, ContactChoiceField)
        customer_field.queryset = customers
        contact_field.queryset = contacts
        contact_field.help_text = (
            _("The contacts of %(customer)s.") % {"customer": customer.name}
            if customer
            else _("Choose a customer to see only its contacts.")
        )
        if refresh_url:
            customer_field.widget.attrs.update(
                {
                    "hx-get": refresh_url,
                    "hx-include": "#id_contact",
                    "hx-target": "#div_id_contact",
                    "hx-select": "#div_id_contact",
                    "hx-swap": "outerHTML",
                }
            )
        # The service refuses a future date (in the organisation's time); the picker offers none.
        self.fields["received_on"].widget.attrs["max"] = (today or timezone.localdate()).isoformat()
        if not with_attachment:
            del self.fields["attachment"]
        self.helper.layout = Layout(
            *("channel", "kind", "received_on", "customer"),
            HTML(
                f'<button class="btn btn-outline-secondary btn-sm mb-3" type="submit" name="{REFRESH}" value="1">'
                f"{escape(_('Show its contacts'))}</button>"
            ),
            *(name for name in self.fields if name not in ("channel", "kind", "received_on", "customer")),
        )

    @staticmethod
    def initial_for(item: FeedbackItem) -> dict[str, Any]:
        return {
            "channel": item.channel,
            "kind": item.kind,
            "received_on": item.received_on,
            "customer": item.customer_id,
            "contact": item.contact_id,
            "submitter_name": item.submitter_name,
            "submitter_email": item.submitter_email,
            "product": item.product,
            "text": item.text,
        }

    def clean_attachment(self) -> File | None:
        return _checked(self.cleaned_data.get("attachment"))

    def recorded(self) -> dict[str, Any]:
        """The cleaned values the services take (everything but the attachment)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "attachment"}


class TriageForm(CrispyMixin, forms.Form):
    """Everything triage decides about an item, saved at once: who handles it, its themes and its sentiment.
    Only what changed is written, each change its own event in the item's history (services.feedback_triage)."""

    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Assignee"))
    sentiment = forms.ChoiceField(
        label=_("Sentiment"), required=False, choices=[("", _("Not set")), *FeedbackItem.Sentiment.choices]
    )
    themes: "forms.ModelMultipleChoiceField[Theme]" = RowsChoiceField(
        label=_("Themes"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    new_themes = forms.CharField(
        label=_("New themes"), required=False, max_length=400, help_text=_("Separate several with commas.")
    )

    def __init__(self, *args: Any, members: QuerySet[Membership], themes: QuerySet[Theme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._users = {m.user_id: m.user for m in members}
        assignee_field = self.fields["assignee"]
        assert isinstance(assignee_field, forms.ChoiceField)
        assignee_field.choices = [("", _("Nobody"))] + [
            (m.user_id, f"{m.user.get_full_name() or m.user.email} ({m.get_role_display()})") for m in members
        ]
        themes_field = self.fields["themes"]
        assert isinstance(themes_field, forms.ModelMultipleChoiceField)
        themes_field.queryset = themes
        shortcut(assignee_field, "a")
        shortcut(self.fields["sentiment"], "s")
        shortcut(self.fields["new_themes"], "t")

    @classmethod
    def initial_for(cls, item: FeedbackItem) -> dict[str, Any]:
        return {
            "assignee": item.assignee_id,
            "sentiment": item.sentiment,
            "themes": [theme.pk for theme in item.themes.all()],
        }

    def clean_assignee(self) -> User | None:
        user_id = self.cleaned_data.get("assignee")
        return self._users.get(user_id) if user_id else None

    def new_names(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data.get("new_themes", "").split(",") if name.strip()]


class LinkForm(CrispyMixin, forms.Form):
    reference = forms.CharField(
        label=_("Link to another feedback item"), max_length=40, help_text=_("Its reference, e.g. F-2026-0042.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shortcut(self.fields["reference"], "l")


class ConvertForm(CrispyMixin, forms.Form):
    target = forms.ChoiceField(label=_("Convert into"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target_field = self.fields["target"]
        assert isinstance(target_field, forms.ChoiceField)
        target_field.choices = [(c.kind, c.label) for c in conversions()]


class CloseForm(CrispyMixin, forms.Form):
    note = forms.CharField(
        label=_("Closing note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say how the feedback was handled before closing it.")},
        help_text=_("How the feedback was handled; kept with the item."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shortcut(self.fields["note"], "c")


class AttachmentForm(CrispyMixin, forms.Form):
    file = forms.FileField(
        label=_("Attach a file"), help_text=_("PDF, image, Office document or plain text, at most 10 MB.")
    )

    def clean_file(self) -> File | None:
        return _checked(self.cleaned_data.get("file"))


def _checked(upload: File | None) -> File | None:
    """Refuse a file by what it is before anything is written; the service checks again when it stores it."""
    if upload:
        check_upload(upload)
    return upload


class SavedViewForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("Save these filters as"), max_length=80)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


def builtin_views(today: date) -> list[tuple["StrOrPromise", str]]:
    """The views everyone has: (name, querystring for InboxFilterForm)."""
    first = today.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return [
        (_("All feedback"), ""),
        (_("Mine"), normalised_query({"status": OPEN, "assignee": ME})),
        (_("Unassigned"), normalised_query({"status": OPEN, "assignee": UNASSIGNED})),
        (_("This month"), normalised_query({"received_from": first, "received_to": last})),
    ]
