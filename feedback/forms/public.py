"""The public feedback form: what a customer types, plus two quiet spam checks (a honeypot and a fill time)."""

import time
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from feedback.models import FeedbackItem
from qms.tenancy.models import Organization

MESSAGE_MAX_LENGTH = 5000
MIN_FILL_SECONDS = 3  # people take longer than this to read the form and write something; scripts do not
MAX_FILL_SECONDS = 24 * 60 * 60
STARTED_AT_SALT = "feedback.public-form.started"
HONEYPOT_FIELD = "website"

KIND_CHOICES = [
    (FeedbackItem.Kind.COMPLIMENT, _("Compliment — something we did well")),
    (FeedbackItem.Kind.SUGGESTION, _("Suggestion — an idea for doing better")),
    (FeedbackItem.Kind.QUESTION, _("Question — something you would like to know")),
    (FeedbackItem.Kind.CONCERN, _("Concern — something that worries you")),
    (FeedbackItem.Kind.COMPLAINT, _("Complaint — something went wrong")),
]


def fill_token(organization: Organization, *, issued_at: float | None = None) -> str:
    """A signed note of when (and for which organisation) the form was handed out."""
    return signing.dumps(
        {"o": organization.pk, "t": time.time() if issued_at is None else issued_at}, salt=STARTED_AT_SALT
    )


class PublicFeedbackForm(forms.Form):
    """Fields in the order the page shows them, so the error summary lists problems in that order too."""

    kind = forms.ChoiceField(
        label=_("What kind of feedback is it?"),
        choices=KIND_CHOICES,
        error_messages={
            "required": _("Choose what kind of feedback this is."),
            "invalid_choice": _("Choose one of the kinds."),
        },
    )
    message = forms.CharField(label=_("Your message"), error_messages={"required": _("Write your message.")})
    product = forms.CharField(label=_("Product or service it is about"), max_length=200, required=False)
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        required=False,
        error_messages={"invalid": _("Enter an email address like name@example.com.")},
    )
    send_confirmation = forms.BooleanField(label=_("Email me a confirmation with my reference number"), required=False)
    may_contact = forms.BooleanField(label=_("You may contact me about this feedback"), required=False)
    started = forms.CharField(required=False)
    website = forms.CharField(required=False)  # the honeypot: hidden from people, filled in by scripts

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        self.organization = organization
        super().__init__(*args, **kwargs)

    @property
    def caught_in_honeypot(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def clean_message(self) -> str:
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("Write your message."))
        if len(message) > MESSAGE_MAX_LENGTH:
            raise forms.ValidationError(
                _(
                    "Your message is %(length)s characters long; the limit is %(limit)s. "
                    "Shorten it, or send the rest in a second message."
                )
                % {"length": f"{len(message):,}", "limit": f"{MESSAGE_MAX_LENGTH:,}"}
            )
        return message

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if data.get("send_confirmation") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Enter your email address so that we can send you the confirmation."))
        self._check_fill_time(data.get("started", ""))
        return data

    def _check_fill_time(self, token: str) -> None:
        try:
            started = signing.loads(token, salt=STARTED_AT_SALT, max_age=MAX_FILL_SECONDS)
        except signing.BadSignature:  # also SignatureExpired
            raise forms.ValidationError(
                _("This form was open for too long. Check your message and press “Send feedback” again.")
            ) from None
        if started.get("o") != self.organization.pk:
            raise forms.ValidationError(_("Check your message and press “Send feedback” again."))
        if time.time() - started.get("t", 0) < MIN_FILL_SECONDS:
            raise forms.ValidationError(_("That was very quick. Check your message and press “Send feedback” again."))
