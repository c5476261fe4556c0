"""The survey editor's forms: a survey's settings, a question, the survey's texts and a translation.

Forms parse what a manager typed into the services' arguments; the rules (scales, choices, conditions, locked
versions, privacy fixed once answered) are the services' (surveys.services.design, surveys.rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from qms.forms import CrispyMixin
from qms.tenancy.models import Organization
from surveys.models import Question, Survey
from surveys.rules import LANGUAGES, MAX_CHOICES, operators_for
from surveys.selectors.surveys import starter_choices
from surveys.texts import SURVEY_TEXTS

TEMPLATE_PREFIX = "template-"
SETTINGS_FIELDS = (
    "name", "description", "default_language", "privacy", "kept_attributes", "anonymity_threshold",
    "invitation_days", "thank_you_url",
)  # fmt: skip


class SurveySettingsForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For your colleagues; customers never see it."),
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=LANGUAGES,
        help_text=_("The language you write the questions in; add translations on the survey's page."),
    )
    privacy = forms.ChoiceField(
        label=_("Privacy"),
        choices=Survey.Privacy.choices,
        widget=forms.RadioSelect,
        help_text=_("Anonymous answers cannot be traced back to a contact. Fixed once the survey has answers."),
    )
    kept_attributes = forms.MultipleChoiceField(
        label=_("What an anonymous answer keeps"),
        choices=Survey.Attribute.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    anonymity_threshold = forms.IntegerField(
        label=_("Smallest group shown"),
        min_value=2,
        max_value=100,
        initial=5,
        help_text=_("Anonymous answers are released and shown only in groups of at least this many."),
    )
    invitation_days = forms.IntegerField(
        label=_("Invitations expire after (days)"), min_value=1, max_value=365, initial=30
    )
    thank_you_url = forms.URLField(
        label=_("Link on the thank-you page"),
        required=False,
        assume_scheme="https",
        help_text=_("Optional: where a customer can go after answering, such as your website."),
    )

    @classmethod
    def initial_for(cls, survey: Survey) -> dict[str, Any]:
        return {name: getattr(survey, name) for name in SETTINGS_FIELDS}


class SurveyCreateForm(SurveySettingsForm):
    starter = forms.ChoiceField(label=_("Start from"), required=False, widget=forms.RadioSelect)

    field_order = ["name", "starter"]

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        starters, self.templates = starter_choices(organization=organization)
        choices: list[tuple[str, Any]] = [("", _("An empty survey"))]
        choices += [(starter.key, f"{starter.name} — {starter.description}") for starter in starters]
        choices += [
            (f"{TEMPLATE_PREFIX}{t.pk}", _("Your template: %(name)s") % {"name": t.name}) for t in self.templates
        ]
        starter_field = self.fields["starter"]
        assert isinstance(starter_field, forms.ChoiceField)
        starter_field.choices = choices
        self.fields["default_language"].required = False
        self.fields["default_language"].help_text = _(
            "The language you write the questions in (your organisation's unless you choose; a template's own)."
        )
        language_field = self.fields["default_language"]
        assert isinstance(language_field, forms.ChoiceField)
        language_field.choices = [("", _("The organisation's language")), *LANGUAGES]

    def clean_starter(self) -> Survey | str | None:
        value = self.cleaned_data.get("starter") or ""
        if value.startswith(TEMPLATE_PREFIX):
            return next(t for t in self.templates if f"{TEMPLATE_PREFIX}{t.pk}" == value)
        return value or None

    def clean_default_language(self) -> str | None:
        return self.cleaned_data.get("default_language") or None


def _choice_value(label: str, index: int) -> str:
    return slugify(label)[:60].strip("-_") or f"choice-{index}"


class QuestionForm(CrispyMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Question.Kind.choices)
    text = forms.CharField(label=_("Question"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    help_text = forms.CharField(
        label=_("Help text"),
        required=False,
        max_length=1000,
        help_text=_("Shown under the question, in smaller type."),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    scale_max = forms.IntegerField(
        label=_("Highest rating"),
        required=False,
        min_value=2,
        max_value=10,
        initial=5,
        help_text=_("Rating questions only: from 1 up to this number."),
    )
    low_label = forms.CharField(
        label=_("Words at the lowest score"),
        required=False,
        max_length=100,
        help_text=_("Scored questions only; leave empty for the usual words."),
    )
    high_label = forms.CharField(label=_("Words at the highest score"), required=False, max_length=100)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Choice questions only: one choice per line, in the order they are shown."),
    )
    new_page = forms.BooleanField(
        label=_("Starts a new page"), required=False, help_text=_("The customer presses Next to reach it.")
    )
    condition_question = forms.ChoiceField(label=_("Show only when the answer to"), required=False)
    condition_op = forms.ChoiceField(
        label=_("Comparison"), required=False, choices=[("", "—"), *Question.Operator.choices]
    )
    condition_value = forms.CharField(
        label=_("Value"),
        required=False,
        max_length=500,
        help_text=_("A score, or one or more choices separated by commas."),
    )

    def __init__(self, *args: Any, earlier: list[Question], current: Question | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        self.sources = {q.code: q for q in earlier if operators_for(q.kind)}
        field = self.fields["condition_question"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Always show this question"))] + [
            (code, f"{q.position}. {q.text[:80]}") for code, q in self.sources.items()
        ]

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        condition = question.condition or {}
        value = condition.get("value", "")
        source_value = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        return {
            **{name: getattr(question, name) for name in ("kind", "text", "help_text", "required", "new_page")},
            "scale_max": question.scale_max or 5,
            "low_label": question.low_label,
            "high_label": question.high_label,
            "choices": "\n".join(choice["label"] for choice in question.choices),
            "condition_question": condition.get("question", ""),
            "condition_op": condition.get("op", ""),
            "condition_value": source_value,
        }

    def clean_choices(self) -> list[dict[str, str]]:
        lines = [line.strip() for line in self.cleaned_data.get("choices", "").splitlines() if line.strip()]
        if len(lines) > MAX_CHOICES:
            raise ValidationError(_("Give at most %(count)d choices.") % {"count": MAX_CHOICES})
        kept = {c["label"]: c["value"] for c in (self.current.choices if self.current else [])}
        return [
            {"value": kept.get(label) or _choice_value(label, i), "label": label} for i, label in enumerate(lines, 1)
        ]

    def _condition(self) -> dict[str, Any]:
        code = self.cleaned_data.get("condition_question")
        if not code:
            return {}
        source, op = self.sources[code], self.cleaned_data.get("condition_op") or ""
        raw = [part.strip() for part in self.cleaned_data.get("condition_value", "").split(",") if part.strip()]
        value: Any
        if source.kind in Question.SCORED:
            if len(raw) != 1 or not raw[0].lstrip("-").isdigit() or len(raw[0]) > 4:
                raise ValidationError({"condition_value": _("Give one score.")})
            value = int(raw[0])
        else:
            by_label = {c["label"].casefold(): c["value"] for c in source.choices}
            values = [by_label.get(part.casefold(), part) for part in raw]
            value = values if op == Question.Operator.IN else (values[0] if len(values) == 1 else values)
        return {"question": code, "op": op, "value": value}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            try:
                cleaned["condition"] = self._condition()
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    self.add_error(field, errors)
        return cleaned

    def question_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = ("kind", "text", "help_text", "required", "scale_max", "low_label", "high_label", "choices")
        return {
            **{name: data.get(name) for name in fields},
            "new_page": data["new_page"],
            "condition": data["condition"],
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            name = "condition_value" if field == "condition" else field
            self.add_error(name if name in self.fields else None, errors)


class TextsForm(CrispyMixin, forms.Form):
    """A text per key: the survey's own texts in the default language, or a translation's (each labelled with the
    default language's text, which it translates)."""

    def __init__(
        self, *args: Any, keys: list[str], labels: dict[str, str], sources: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.keys = keys
        for key in keys:
            source = (sources or {}).get(key, "")
            long = key.endswith((".body", ".help")) or key == "intro" or len(source) > 80
            widget = forms.Textarea(attrs={"rows": 3}) if long else forms.TextInput()
            self.fields[key] = forms.CharField(
                label=labels.get(key, key), required=False, max_length=5000, widget=widget, help_text=source
            )

    def texts(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key, "") for key in self.keys}


SURVEY_TEXT_LABELS = {
    "email.subject": _("Email subject"),
    "email.body": _("Email message"),
    "intro": _("Welcome text above the questions"),
    "thanks.title": _("Thank-you page heading"),
    "thanks.body": _("Thank-you page text"),
}
SURVEY_TEXT_KEYS = list(SURVEY_TEXTS)


class LanguageForm(CrispyMixin, forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)


class TranslationImportForm(CrispyMixin, forms.Form):
    file = forms.FileField(
        label=_("Translated file"), help_text=_("The CSV or XLIFF file you exported, with its translations filled in.")
    )
