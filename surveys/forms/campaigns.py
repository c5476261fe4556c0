"""The campaigns' forms: a campaign's settings with its reminders, an uploaded list, the resume choice and the
organisation's contact rule. They parse what a manager typed; the rules are the services'
(surveys.services.campaigns)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Contact, Customer
from customers.selectors.saved_views import saved_view_choices
from feedback.models import FeedbackItem
from feedback.selectors.inbox import assignable_members
from qms.accounts.models import User
from qms.forms import CrispyMixin
from qms.tenancy.models import Organization
from surveys.models import Campaign, OutreachRule, Survey
from surveys.rules import LANGUAGES
from surveys.services.campaigns import MAX_REMINDERS

REMINDER_SLOTS = 3
MAX_LIST_BYTES = 2 * 1024 * 1024
MAX_LIST_ADDRESSES = 100_000
SETTINGS = ("name", "kind", "leader", "survey", "audience", "audience_value", "every", "every_days", "start_on",
            "at", "per_day", "expiry_days")  # fmt: skip
LANGUAGE_NAMES = dict(LANGUAGES)


def _values(organization: Organization, field: str) -> list[tuple[str, str]]:
    found = (
        Customer.objects.filter(organization=organization, archived_at__isnull=True)
        .exclude(**{field: ""})
        .values_list(field, flat=True)
        .distinct()
        .order_by(field)
    )
    return [("", "—"), *((value, value) for value in found)]


class CampaignForm(CrispyMixin, forms.Form):
    """A campaign's settings. Its reminders are slots (after how many days, a subject and a message) in the
    survey's default language, and in each of its translations once the campaign knows its survey."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=Campaign.Kind.choices, initial=Campaign.Kind.SURVEY,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("A leadership check-in sends no email: each key customer's account owner, or the "
                               "leader named below, holds a conversation with them by the due date and records it."),
    )  # fmt: skip
    survey: forms.ModelChoiceField[Survey] = forms.ModelChoiceField(
        label=gettext_lazy("Survey"), queryset=Survey.objects.none(), required=False,
        help_text=gettext_lazy("For a survey by email."),
    )  # fmt: skip
    leader: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=gettext_lazy("Leader"), queryset=User.objects.none(), required=False,
        help_text=gettext_lazy("For a check-in: who holds every conversation. Empty: each customer's account owner."),
    )  # fmt: skip
    audience = forms.ChoiceField(
        label=gettext_lazy("Send to"), choices=Campaign.Audience.choices, widget=forms.RadioSelect
    )
    segment = forms.ChoiceField(label=gettext_lazy("Segment"), required=False)
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)
    saved_view = forms.ChoiceField(label=gettext_lazy("Saved view of the directory"), required=False)
    every = forms.ChoiceField(label=gettext_lazy("Repeat"), choices=Campaign.Every.choices)
    every_days = forms.IntegerField(
        label=gettext_lazy("Every N days"), min_value=0, max_value=366, initial=0, required=False,
        help_text=gettext_lazy("For “Every N days”."),
    )  # fmt: skip
    start_on = forms.DateField(label=gettext_lazy("First wave on"))
    at = forms.TimeField(
        label=gettext_lazy("At"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy("In the organisation's time zone; the hour holds across daylight-saving changes."),
    )
    per_day = forms.IntegerField(
        label=gettext_lazy("Invitations per day"), min_value=0, max_value=1_000_000, initial=0,
        help_text=gettext_lazy("Spread each wave over several days, this many a day. 0: all at once."),
    )  # fmt: skip
    expiry_days = forms.IntegerField(
        label=gettext_lazy("Invitations expire after (days)"), min_value=1, max_value=365, initial=30
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        campaign: Campaign | None = None,
        user: User | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.organization, self.campaign = organization, campaign
        surveys = Survey.objects.filter(organization=organization, archived_at__isnull=True, is_template=False)
        self.fields["survey"].queryset = surveys.exclude(status=Survey.Status.CLOSED).order_by("name")  # type: ignore[attr-defined]  # a ModelChoiceField
        members = assignable_members(organization=organization).values("user_id")
        self.fields["leader"].queryset = User.objects.filter(pk__in=members).order_by("full_name", "email")  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["segment"].choices = _values(organization, "segment")  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["region"].choices = _values(organization, "region")  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["saved_view"].choices = [("", "—"), *saved_view_choices(organization=organization, user=user)]  # type: ignore[attr-defined]  # a ChoiceField
        self.languages = self._languages()
        for n in range(1, REMINDER_SLOTS + 1):
            self.fields[f"reminder{n}_days"] = forms.IntegerField(
                label=_("Reminder %(n)d after (days)") % {"n": n}, min_value=1, max_value=364, required=False,
                help_text=_("Leave empty for no reminder %(n)d.") % {"n": n},
            )  # fmt: skip
            for language in self.languages:
                named = {"n": n, "language": LANGUAGE_NAMES.get(language, language)}
                self.fields[f"reminder{n}_subject_{language}"] = forms.CharField(
                    label=_("Reminder %(n)d: subject (%(language)s)") % named, max_length=200, required=False
                )
                self.fields[f"reminder{n}_body_{language}"] = forms.CharField(
                    label=_("Reminder %(n)d: message (%(language)s)") % named, max_length=2000, required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )  # fmt: skip
        if campaign is not None and not self.is_bound:
            self.initial.update(self.initial_for(campaign))

    def _languages(self) -> list[str]:
        """The languages a reminder is written in: the survey's default and its translations, once known."""
        if self.campaign is None or self.campaign.survey is None:
            return ["default"]
        from surveys.services.design import latest_version  # noqa: PLC0415 - the survey's texts

        return latest_version(self.campaign.survey).languages

    def initial_for(self, campaign: Campaign) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(campaign, name) for name in SETTINGS if name != "audience_value"}
        field = {"segment": "segment", "region": "region", "saved_view": "saved_view"}.get(campaign.audience)
        if field:
            values[field] = campaign.audience_value
        for n, reminder in enumerate(campaign.reminders or [], start=1):
            values[f"reminder{n}_days"] = reminder.get("after_days")
            for language in self.languages:
                values[f"reminder{n}_subject_{language}"] = (reminder.get("subject") or {}).get(language, "")
                values[f"reminder{n}_body_{language}"] = (reminder.get("body") or {}).get(language, "")
        return values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        audience = data.get("audience")
        chosen = {"segment": data.get("segment"), "region": data.get("region"), "saved_view": data.get("saved_view")}
        if audience in chosen and not chosen[audience]:
            self.add_error(audience, _("Choose one."))
        return data

    def values(self) -> dict[str, Any]:
        """The service's arguments."""
        data = self.cleaned_data
        values = {name: data[name] for name in SETTINGS if name in data}
        audience = data["audience"]
        values["audience_value"] = data.get(audience, "") if audience in ("segment", "region", "saved_view") else ""
        values["every_days"] = data.get("every_days") or 0
        survey: Survey | None = data.get("survey")
        default = survey.default_language if survey is not None else "default"
        reminders = []
        for n in range(1, REMINDER_SLOTS + 1):
            days = data.get(f"reminder{n}_days")
            if not days:
                continue
            texts: dict[str, dict[str, str]] = {"subject": {}, "body": {}}
            for language in self.languages:
                code = default if language == "default" else language
                for part in ("subject", "body"):
                    if text := (data.get(f"reminder{n}_{part}_{language}") or "").strip():
                        texts[part][code] = text
            reminders.append({"after_days": days, **texts})
        values["reminders"] = reminders[:MAX_REMINDERS]
        return values


class MembersForm(forms.Form):
    """An uploaded list: a text or CSV file of email addresses (one per line, or an `email` column)."""

    file = forms.FileField(label=gettext_lazy("List of email addresses"), help_text=gettext_lazy(
        "A text or CSV file: one address per line, or a column named “email”. At most 2 MB."))  # fmt: skip

    def clean_file(self) -> list[str]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_LIST_BYTES:
            raise ValidationError(_("The file is larger than 2 MB. Split it into smaller lists."))
        try:
            text = upload.read(MAX_LIST_BYTES + 1).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not text in UTF-8. Save it as CSV (UTF-8) and try again.")) from None
        addresses = []
        for line in text.splitlines():
            for cell in line.replace(";", ",").split(","):
                cell = cell.strip().strip('"').lower()
                if "@" in cell and cell != "email":
                    addresses.append(cell)
        if not addresses:
            raise ValidationError(_("The file holds no email address."))
        if len(addresses) > MAX_LIST_ADDRESSES:
            raise ValidationError(_("A list holds at most %(count)d addresses.") % {"count": MAX_LIST_ADDRESSES})
        return addresses

    def contacts(self, organization: Organization) -> tuple[list[int], list[str]]:
        """The directory's contacts with these addresses, and the addresses no contact has."""
        addresses = self.cleaned_data["file"]
        found = dict(
            Contact.objects.filter(organization=organization, email__in=set(addresses), erased_at__isnull=True)
            .values_list("email", "pk")
        )  # fmt: skip
        lowered = {email.lower(): pk for email, pk in found.items()}
        unknown = sorted({a for a in addresses if a not in lowered})
        return sorted(set(lowered.values())), unknown


class ResumeForm(forms.Form):
    send_skipped = forms.BooleanField(
        label=gettext_lazy("Also send what the pause skipped"),
        required=False,
        help_text=gettext_lazy("Invitations and reminders whose time passed while the campaign was paused go now."),
    )


class OutreachRuleForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = OutreachRule
        fields = ["campaign_days", "transactional_days"]


class CheckInForm(CrispyMixin, forms.Form):
    """What a leader's conversation with a key customer brought: when, what kind of feedback, what they said."""

    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(
        label=gettext_lazy("What it was"), choices=FeedbackItem.Kind.choices, initial=FeedbackItem.Kind.SUGGESTION
    )
    outcome = forms.CharField(
        label=gettext_lazy("What the customer said"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("How service could improve, in their words. It goes to the inbox as feedback from a "
                               "meeting, for this customer."),
    )  # fmt: skip

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["held_on"] = organization.today()
