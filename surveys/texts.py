"""Every text of a survey version that a respondent reads, by key, in every language.

The default language's texts live where they are written: each question's text, help, scale labels and choice
labels, and the version's `texts` (the email, the welcome and thank-you pages). Other languages live in the
version's `translations`, `{"de": {"q.nps.text": "…", "email.subject": "…"}}`, under these keys:

    q.<code>.text   q.<code>.help   q.<code>.low   q.<code>.high   q.<code>.choice.<value>
    email.subject   email.body   intro   thanks.title   thanks.body
    ui.<name>       the page's own words (buttons, errors, the expired-link page): see UI_TEXTS

The page's own words come from the project's catalogues in a language the staff pages ship in (English, German);
in any other language the survey's translation must give them too, so a survey translated into Polish speaks
Polish throughout.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import Question, SurveyVersion

# Survey-level texts a manager writes, with what a new survey starts from.
SURVEY_TEXTS: dict[str, StrOrPromise] = {
    "email.subject": _("How did we do?"),
    "email.body": _("We would like to know how well we met your needs. It takes about two minutes."),
    "intro": "",
    "thanks.title": _("Thank you"),
    "thanks.body": _("Your answers have been recorded. They help us improve."),
}
OPTIONAL_TEXTS = ("intro",)  # a translation may leave these empty when the default language's is empty too

# The response page's own words. Keys are stable: translations are stored under them.
UI_TEXTS: dict[str, StrOrPromise] = {
    "ui.next": _("Next"),
    "ui.back": _("Back"),
    "ui.submit": _("Submit"),
    "ui.required": _("Required"),
    "ui.optional": _("Optional"),
    "ui.answer_required": _("Please answer this question."),
    "ui.invalid": _("Please choose one of the options."),
    "ui.errors": _("Some answers need your attention."),
    "ui.page_of": _("Page {page} of {pages}"),
    "ui.busy": _(
        "We have received several answers from your connection in the last hour, so we could not record this one "
        "yet. Your answers are still in the form: please send them again later."
    ),
    "ui.saved": _("Your answers so far are saved. You can close this page and come back to the link later."),
    "ui.language": _("Language"),
    "ui.change_language": _("Change language"),
    "ui.not_likely": _("Not at all likely"),
    "ui.very_likely": _("Extremely likely"),
    "ui.very_dissatisfied": _("Very dissatisfied"),
    "ui.very_satisfied": _("Very satisfied"),
    "ui.very_difficult": _("Very difficult"),
    "ui.very_easy": _("Very easy"),
    "ui.answered.title": _("You have already answered"),
    "ui.answered.body": _("This survey link has been used. Thank you for your answers."),
    "ui.expired.title": _("This link has expired"),
    "ui.expired.body": _("The survey can no longer be answered with this link."),
    "ui.revoked.title": _("This link is no longer valid"),
    "ui.revoked.body": _("The organisation withdrew this invitation."),
    "ui.closed.title": _("This survey has closed"),
    "ui.closed.body": _("The survey no longer accepts answers. Thank you for your interest."),
    "ui.unsubscribe": _("Unsubscribe from survey emails"),
    "ui.unsubscribe.question": _("Stop receiving survey invitations from {organization}?"),
    "ui.unsubscribe.confirm": _("Yes, unsubscribe me"),
    "ui.unsubscribe.done": _(
        "You have been unsubscribed. You will not receive survey invitations from {organization} again."
    ),
    "ui.email.button": _("Answer the survey"),
    "ui.email.scale": _("Choose a score to begin:"),
    "ui.email.expires": _("This link works until {date}."),
    "ui.email.why": _("You receive this email because you are a customer of {organization}."),
}

SHIPPED_LANGUAGES = frozenset(code.split("-")[0] for code, _name in settings.LANGUAGES)


def base(language: str) -> str:
    return language.split("-")[0].lower()


def question_texts(question: Question) -> dict[str, str]:
    """A question's texts in the default language, by key (empty ones left out)."""
    prefix = f"q.{question.code}"
    texts = {
        f"{prefix}.text": question.text,
        f"{prefix}.help": question.help_text,
        f"{prefix}.low": question.low_label,
        f"{prefix}.high": question.high_label,
    }
    for choice in question.choices or []:
        texts[f"{prefix}.choice.{choice['value']}"] = choice.get("label", "")
    return {key: text for key, text in texts.items() if text}


def source_texts(version: SurveyVersion, questions: Iterable[Question] | None = None) -> dict[str, str]:
    """Every text of the version in its default language, by key, in the order a translator reads them."""
    texts: dict[str, str] = {}
    for key in SURVEY_TEXTS:
        if value := version.texts.get(key, ""):
            texts[key] = value
    for question in questions if questions is not None else version.questions.all():
        texts.update(question_texts(question))
    return texts


def needs_ui_texts(language: str) -> bool:
    """A language the project's catalogues do not speak: the survey's translation gives the page's words too."""
    return base(language) not in SHIPPED_LANGUAGES


def required_keys(version: SurveyVersion, language: str, questions: Iterable[Question] | None = None) -> list[str]:
    keys = list(source_texts(version, questions))
    if needs_ui_texts(language):
        keys.extend(UI_TEXTS)
    return keys


def missing_texts(version: SurveyVersion, language: str, questions: Iterable[Question] | None = None) -> list[str]:
    """The keys a translation into `language` lacks (nothing for the default language)."""
    if base(language) == base(version.survey.default_language):
        given = version.texts  # a default language the catalogues do not speak still needs the page's words
        return [key for key in UI_TEXTS if needs_ui_texts(language) and not (given.get(key) or "").strip()]
    given = version.translations.get(language, {})
    return [key for key in required_keys(version, language, questions) if not (given.get(key) or "").strip()]


def ui_text(key: str, language: str, version: SurveyVersion | None = None) -> str:
    """One of the page's own words in `language`: the survey's translation first, else the project's catalogue."""
    if version is not None:
        is_default = base(language) == base(version.survey.default_language)
        given = (version.texts if is_default else version.translations.get(language) or {}).get(key, "")
        if given:
            return given
    with translation.override(language if not needs_ui_texts(language) else settings.LANGUAGE_CODE):
        return str(UI_TEXTS[key])


class Texts:
    """The texts of one version in one language, for a page or an email: `texts.get("q.nps.text")`,
    `texts.ui("ui.submit")`. A key the translation lacks reads the default language's."""

    def __init__(self, version: SurveyVersion, language: str, questions: Iterable[Question] | None = None):
        self.version = version
        self.language = language
        self.source = source_texts(version, questions)
        is_default = base(language) == base(version.survey.default_language)
        self.translated = {} if is_default else dict(version.translations.get(language) or {})

    def get(self, key: str) -> str:
        return self.translated.get(key) or self.source.get(key, "")

    def ui(self, key: str, **values: str) -> str:
        text = ui_text(key, self.language, self.version)
        return text.format(**values) if values else text

    def question(self, question: Question, part: str) -> str:
        return self.get(f"q.{question.code}.{part}")

    def choice(self, question: Question, value: str) -> str:
        return self.get(f"q.{question.code}.choice.{value}")
