"""Forms of the feedback inbox. Choices come only from the organisation's own rows, handed in by the view."""

import calendar
from datetime import date

from django import forms

from feedback.conversion import conversions
from feedback.filters import normalised_query
from feedback.models import FeedbackItem
from feedback.selectors.inbox import ME, OPEN, UNASSIGNED
from feedback.services.attachments import check_upload
from qms.forms import CrispyMixin

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.customer.name})" if obj.customer_id else obj.name


class FeedbackForm(CrispyMixin, forms.Form):
    channel = forms.ChoiceField(choices=FeedbackItem.Channel.choices, help_text="How the feedback reached you.")
    kind = forms.ChoiceField(choices=FeedbackItem.Kind.choices)
    received_on = forms.DateField(label="Date received", widget=DATE)
    customer = forms.ModelChoiceField(queryset=None, required=False, empty_label="No customer on file")
    contact = ContactChoiceField(queryset=None, required=False, empty_label="No contact on file")
    submitter_name = forms.CharField(max_length=200, required=False, help_text="When the person is not a contact.")
    submitter_email = forms.EmailField(required=False)
    product = forms.CharField(label="Product or service", max_length=200, required=False)
    text = forms.CharField(label="What the customer said", widget=forms.Textarea(attrs={"rows": 6}))
    attachment = forms.FileField(
        required=False,
        help_text="Optional. PDF, image, Office document or plain text, at most 10 MB; checked by its content.",
    )

    def __init__(self, *args, customers, contacts, with_attachment: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["contact"].queryset = contacts
        if not with_attachment:
            del self.fields["attachment"]

    @staticmethod
    def initial_for(item: FeedbackItem) -> dict:
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

    def clean_attachment(self):
        return _checked(self.cleaned_data.get("attachment"))

    def recorded(self) -> dict:
        """The cleaned values the services take (everything but the attachment)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "attachment"}


class AssignForm(CrispyMixin, forms.Form):
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Assign to")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self._users = {m.user_id: m.user for m in members}
        self.fields["assignee"].choices = [("", "Nobody")] + [
            (m.user_id, f"{m.user.get_full_name() or m.user.email} ({m.get_role_display()})") for m in members
        ]

    def clean_assignee(self):
        user_id = self.cleaned_data.get("assignee")
        return self._users.get(user_id) if user_id else None


class ThemesForm(CrispyMixin, forms.Form):
    themes = forms.ModelMultipleChoiceField(
        label="Tagged with", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    new_themes = forms.CharField(
        label="New themes", required=False, max_length=400, help_text="Separate several with commas."
    )

    def __init__(self, *args, themes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].queryset = themes

    def new_names(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data.get("new_themes", "").split(",") if name.strip()]


class SentimentForm(CrispyMixin, forms.Form):
    sentiment = forms.ChoiceField(required=False, choices=[("", "Not set"), *FeedbackItem.Sentiment.choices])


class LinkForm(CrispyMixin, forms.Form):
    reference = forms.CharField(
        label="Link to another feedback item", max_length=40, help_text="Its reference, e.g. F-2026-0042."
    )


class ConvertForm(CrispyMixin, forms.Form):
    target = forms.ChoiceField(label="Convert into")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(c.kind, c.label) for c in conversions()]


class CloseForm(CrispyMixin, forms.Form):
    note = forms.CharField(
        label="Closing note",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say how the feedback was handled before closing it."},
        help_text="How the feedback was handled; kept with the item.",
    )


class AttachmentForm(CrispyMixin, forms.Form):
    file = forms.FileField(label="Attach a file", help_text="PDF, image, Office document or plain text, at most 10 MB.")

    def clean_file(self):
        return _checked(self.cleaned_data.get("file"))


def _checked(upload):
    """Refuse a file by what it is before anything is written; the service checks again when it stores it."""
    if upload:
        check_upload(upload)
    return upload


class SavedViewForm(CrispyMixin, forms.Form):
    name = forms.CharField(label="Save these filters as", max_length=80)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


def builtin_views(today: date) -> list[tuple[str, str]]:
    """The views everyone has: (name, querystring for InboxFilterForm)."""
    first = today.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return [
        ("All feedback", ""),
        ("Mine", normalised_query({"status": OPEN, "assignee": ME})),
        ("Unassigned", normalised_query({"status": OPEN, "assignee": UNASSIGNED})),
        ("This month", normalised_query({"received_from": first, "received_to": last})),
    ]
