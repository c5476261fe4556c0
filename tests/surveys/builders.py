"""A survey ready to send, for the sending and answering tests: built through the models, in the tenant's context."""

from surveys.services.loop import loop_rule_create
from tests.factories.surveys import QuestionFactory, SurveyFactory, SurveyVersionFactory

NPS_FIRST = [
    {"code": "nps", "kind": "nps", "text": "How likely are you to recommend us?", "required": True},
    {"code": "why", "kind": "long_text", "text": "What is the main reason for your score?"},
    {
        "code": "fix",
        "kind": "multiple",
        "text": "What should we improve?",
        "new_page": True,
        "condition": {"question": "nps", "op": "at_most", "value": 6},
        "choices": [{"value": "price", "label": "Price"}, {"value": "support", "label": "Support"}],
    },
    {"code": "more", "kind": "short_text", "text": "Anything else?"},
]

TEXTS = {
    "email.subject": "How did we do?",
    "email.body": "Tell us.",
    "thanks.title": "Thank you",
    "thanks.body": "Recorded.",
}
GERMAN = {
    "email.subject": "Wie waren wir?",
    "email.body": "Sagen Sie es uns.",
    "thanks.title": "Danke",
    "thanks.body": "Gespeichert.",
    "q.nps.text": "Wie wahrscheinlich empfehlen Sie uns weiter?",
    "q.why.text": "Was ist der wichtigste Grund für Ihre Bewertung?",
    "q.fix.text": "Was sollten wir verbessern?",
    "q.fix.choice.price": "Preis",
    "q.fix.choice.support": "Support",
    "q.more.text": "Sonst noch etwas?",
}


def build_survey(
    organization, *, questions=NPS_FIRST, privacy="identified", translations=None, name="Customer survey", **fields
):
    """A survey of `organization` with one version holding `questions` (their fields as given) and the texts above."""
    survey = SurveyFactory(organization=organization, name=name, privacy=privacy, default_language="en", **fields)
    version = SurveyVersionFactory(survey=survey, texts=dict(TEXTS), translations=translations or {})
    for position, spec in enumerate(questions):
        QuestionFactory(version=version, position=position, **spec)
    return survey


ONE_PAGE = [
    {"code": "nps", "kind": "nps", "text": "How likely are you to recommend us?", "required": True},
    {"code": "why", "kind": "long_text", "text": "What is the main reason for your score?"},
]


def add_rule(tenant, survey, **fields):
    """A follow-up rule of the survey (default: NPS at most 6, for the account owner), added by the manager."""
    values = {"question_code": "nps", "condition": "at_most", "value": "6", "assign_to": "account_owner"} | fields
    with tenant.context():
        return loop_rule_create(survey=survey, actor=tenant.manager, **values)
