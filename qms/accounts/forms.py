from collections.abc import Iterable
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from PIL import Image

from qms.forms import CrispyMixin, DateTimeInput
from qms.tenancy.models import Membership, Role

from .models import User
from .services import password_reset_request


class EmailLoginForm(CrispyMixin, AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class OutboxPasswordResetForm(CrispyMixin, PasswordResetForm):
    """Django's reset form, but the email goes through the outbox like every other email."""

    def save(
        self,
        domain_override: str | None = None,
        subject_template_name: str | None = None,
        email_template_name: str | None = None,
        use_https: bool = False,
        token_generator: PasswordResetTokenGenerator = default_token_generator,
        from_email: str | None = None,
        request: HttpRequest | None = None,
        html_email_template_name: str | None = None,
        extra_email_context: dict[str, str] | None = None,
    ) -> None:
        def reset_url_for(user: User) -> str:
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            return settings.SITE_URL + reverse(
                "accounts:password_reset_confirm", args=[uid, token_generator.make_token(user)]
            )

        password_reset_request(email=self.cleaned_data["email"], reset_url_for=reset_url_for)


class InvitationForm(CrispyMixin, forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)
    membership_expires_at = forms.DateTimeField(
        label=_("Access expires"),
        required=False,
        widget=DateTimeInput,
        help_text=_("Required for auditors: their access ends on this date."),
    )


class MembershipForm(CrispyMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    expires_at = forms.DateTimeField(
        label=_("Access expires"),
        required=False,
        widget=DateTimeInput,
        help_text=_("Required for auditors."),
    )


class SignupForm(CrispyMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label=_("Repeat password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            probe = get_user_model()(email=self.email, full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(data["password1"], probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ApiTokenForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What uses this token, e.g. “CRM sync”."))
    membership = forms.ChoiceField(label=_("Acts as member"))

    def __init__(self, *args: Any, members: Iterable[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        membership_field = self.fields["membership"]
        assert isinstance(membership_field, forms.ChoiceField)
        membership_field.choices = [(m.pk, f"{m.user.email} ({m.get_role_display()})") for m in members]


LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}


def time_zone_choices() -> list[tuple[str, str]]:
    """Every time zone by its region and city ("Europe/Berlin" reads "Europe / Berlin")."""
    return [(name, name.replace("/", " / ").replace("_", " ")) for name in sorted(available_timezones())]


class TimeZoneField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=time_zone_choices, **kwargs)


class PreferencesForm(CrispyMixin, forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("As my browser asks (else my organisation's)")), *settings.LANGUAGES],
        required=False,
    )
    time_zone = TimeZoneField(
        label=_("Time zone"),
        required=False,
        help_text=_("Empty: each organisation's own. Every date and time is shown in it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = [("", _("My organisation's")), *time_zone_choices()]


class OrganizationForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    time_zone = TimeZoneField(
        label=_("Time zone"),
        help_text=_("Dates and times on pages and in emails, and the days deadlines and schedules count in."),
    )
    country = forms.ChoiceField(label=_("Country"), choices=lambda: [("", "—"), *countries], required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("For members who have not chosen their own, and for customers whose language is not known."),
    )
    logo = forms.FileField(
        label=_("Logo"), required=False, help_text=_("PNG or JPEG, at most 1 MB; shown on your public forms.")
    )
    remove_logo = forms.BooleanField(required=False, label=_("Remove the current logo"))
    accent_colour = forms.CharField(
        label=_("Accent colour"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "#0f6e6e", "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "Buttons and highlights on your survey pages, public forms and emails, as #rrggbb. White text on it must "
            "reach a contrast of 4.5:1; leave blank for Closeloop's teal."
        ),
    )
    sender_name = forms.CharField(
        label=_("Sender name"),
        required=False,
        max_length=100,
        help_text=_("The name your customers see as the sender of surveys; the organisation's name when blank."),
    )
    two_factor_required = forms.BooleanField(
        required=False,
        label=_("Require two-factor sign-in of owners and auditors"),
        help_text=_("They are asked to set up an authenticator app at their next page. API tokens are unaffected."),
    )

    def clean_logo(self) -> UploadedFile | None:
        """Accept a logo by what the file is, not what it is called: Pillow must read it as PNG or JPEG."""
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is larger than 1 MB."))
        try:
            with Image.open(upload) as image:
                image.verify()
                kind = image.format
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same answer
            raise forms.ValidationError(_("This file is not a PNG or JPEG image.")) from exc
        if kind not in LOGO_FORMATS:
            raise forms.ValidationError(_("The logo must be a PNG or JPEG image."))
        upload.seek(0)
        upload.name = f"logo.{LOGO_FORMATS[kind]}"
        return upload


class SecondFactorForm(CrispyMixin, forms.Form):
    """A code from the authenticator app (6 digits), or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
    )
