"""The built-in surveys a quality manager starts from: relationship NPS, transactional CSAT and CES.

Their words are marked for translation and written into a new survey in its default language
(surveys.services.design.survey_create); from then on they are the survey's own texts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class StarterQuestion:
    code: str
    kind: str
    text: StrOrPromise
    required: bool = False
    help_text: StrOrPromise = ""
    scale_max: int | None = None
    choices: tuple[tuple[str, StrOrPromise], ...] = ()
    condition: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The question's fields in the active language."""
        return {
            "code": self.code,
            "kind": self.kind,
            "text": str(self.text),
            "help_text": str(self.help_text),
            "required": self.required,
            "scale_max": self.scale_max,
            "choices": [{"value": value, "label": str(label)} for value, label in self.choices],
            "condition": dict(self.condition),
        }


@dataclass(frozen=True)
class Starter:
    key: str
    name: StrOrPromise
    description: StrOrPromise
    questions: tuple[StarterQuestion, ...]

    def question_fields(self, language: str) -> list[dict[str, Any]]:
        with translation.override(language):
            return [question.fields() for question in self.questions]

    def rendered_name(self, language: str) -> str:
        with translation.override(language):
            return str(self.name)


RELATIONSHIP_NPS = Starter(
    "relationship_nps",
    _("Relationship NPS"),
    _("Once or twice a year, to every active customer: how likely they are to recommend you, and why."),
    (
        StarterQuestion("nps", "nps", _("How likely are you to recommend us to a friend or colleague?"), required=True),
        StarterQuestion("reason", "long_text", _("What is the main reason for your score?")),
        StarterQuestion(
            "drivers",
            "multiple",
            _("Which of these should we improve first?"),
            help_text=_("Choose as many as apply."),
            choices=(
                ("product_quality", _("Product quality")),
                ("delivery", _("Delivery")),
                ("support", _("Support")),
                ("price", _("Price")),
                ("communication", _("Communication")),
            ),
            condition={"question": "nps", "op": "at_most", "value": 8},
        ),
    ),
)

TRANSACTIONAL_CSAT = Starter(
    "transactional_csat",
    _("Transactional CSAT"),
    _("After a delivery or a support case: how satisfied the customer was with it."),
    (
        StarterQuestion("csat", "csat", _("How satisfied were you with our service this time?"), required=True),
        StarterQuestion(
            "better",
            "long_text",
            _("What could we have done better?"),
            condition={"question": "csat", "op": "at_most", "value": 3},
        ),
        StarterQuestion(
            "order",
            "short_text",
            _("Order or case reference"),
            help_text=_("If you have it at hand; it helps us find what went wrong."),
        ),
    ),
)

CES = Starter(
    "ces",
    _("Customer effort (CES)"),
    _("After a service interaction: how easy it was for the customer to get what they needed."),
    (
        StarterQuestion("ces", "ces", _("How easy was it to get your issue resolved?"), required=True),
        StarterQuestion(
            "difficult",
            "long_text",
            _("What made it difficult?"),
            condition={"question": "ces", "op": "at_most", "value": 3},
        ),
        StarterQuestion("agent", "rating", _("How would you rate the person who helped you?"), scale_max=5),
    ),
)

STARTERS: dict[str, Starter] = {starter.key: starter for starter in (RELATIONSHIP_NPS, TRANSACTIONAL_CSAT, CES)}
