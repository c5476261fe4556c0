"""Demo data for seed_demo: a survey of every kind, translated into German, sent to the demo customers and
answered by many of them (a relationship NPS whose detractors sit mostly in one segment, a transactional CSAT,
an anonymous CES with its public link on), each answer written through the services as a customer's would be."""

import random

from django.db.models import Q
from django.utils import translation

from customers.models import Contact
from qms.accounts.models import User
from qms.tenancy.models import Membership, Organization, Role

from .models import Invitation, Question, Survey, SurveyVersion
from .questionnaire import Questionnaire
from .services.answering import response_submit
from .services.design import survey_create, translation_update
from .services.integrity import responses_seal
from .services.public_link import survey_public_link
from .services.sending import contacts_for, eligible, survey_send
from .starters import STARTERS
from .texts import SURVEY_TEXTS, question_texts

SPOKEN = ("en", "en-gb", "de")  # the demo surveys are translated into German; other contacts are not asked
REASONS = {
    "low": ["Deliveries were late twice this quarter.", "Support took a week to answer.", "Prices went up again."],
    "mid": ["Good products, but the paperwork is slow.", "Fine overall; communication could be better."],
    "high": ["Reliable parts and a team that picks up the phone.", "Always on time.", "Great support."],
}


def _german(version: SurveyVersion, starter: str) -> dict[str, str]:
    """The survey's texts in German, from the catalogues the starters and the default texts are written in."""
    with translation.override("de"):
        texts = {key: str(text) for key, text in SURVEY_TEXTS.items() if str(text) and version.texts.get(key)}
        for fields in STARTERS[starter].question_fields("de"):
            texts.update(question_texts(Question(**fields)))
    return texts


def _manager(organization: Organization) -> User:
    membership = Membership.objects.filter(organization=organization, role__in=[Role.MANAGER, Role.OWNER])
    return membership.select_related("user").order_by("role").first().user  # type: ignore[union-attr]


def _answers(questionnaire: Questionnaire, rng: random.Random, *, unhappy: bool) -> dict[str, object]:
    answers: dict[str, object] = {}
    for question in questionnaire.questions:
        if not questionnaire.shown(question, answers) or (not question.required and rng.random() < 0.3):
            continue
        low, high = question.scale or (0, 0)
        if question.kind in Question.SCORED:
            top = high - (high - low) // 2 if unhappy else high
            bottom = low if unhappy else high - (high - low) // 3
            answers[question.code] = rng.randint(bottom, top)
        elif question.kind in Question.CHOICES:
            values = [c["value"] for c in question.choices]
            answers[question.code] = rng.sample(values, k=rng.randint(1, 2))
            if question.kind == Question.Kind.SINGLE:
                answers[question.code] = answers[question.code][0]  # type: ignore[index]
        else:
            answers[question.code] = rng.choice(REASONS["low" if unhappy else rng.choice(["mid", "high"])])
    return answers


def _answer_some(organization: Organization, survey: Survey, rng: random.Random, *, share: float, segment: str) -> None:
    for invitation in Invitation.objects.filter(organization=organization, survey=survey).select_related(
        "version", "contact__customer"
    ):
        if rng.random() > share:
            continue
        questionnaire = Questionnaire.of(list(invitation.version.questions.all()))
        in_segment = invitation.contact.customer is not None and invitation.contact.customer.segment == segment
        unhappy = rng.random() < (0.6 if in_segment else 0.15)
        response_submit(
            organization=organization, version=invitation.version, questionnaire=questionnaire,
            language=invitation.language, answers=_answers(questionnaire, rng, unhappy=unhappy), invitation=invitation,
        )  # fmt: skip


def seed_surveys(*, organization: Organization, password: str | None = None) -> None:
    rng = random.Random(f"surveys-{organization.slug}")
    actor = _manager(organization)
    spoken = Contact.objects.filter(organization=organization).filter(
        Q(preferred_language__in=SPOKEN) | Q(preferred_language="")
    )
    segments = sorted(
        {c.customer.segment for c in spoken.select_related("customer") if c.customer and c.customer.segment}
    )
    troubled = segments[0] if segments else ""

    nps = survey_create(organization=organization, actor=actor, name="Customer relationship survey 2026",
                        starter="relationship_nps", description="Twice a year, to every active customer.")  # fmt: skip
    csat = survey_create(organization=organization, actor=actor, name="After delivery", starter="transactional_csat")
    ces = survey_create(
        organization=organization, actor=actor, name="Service desk effort", starter="ces",
        privacy=Survey.Privacy.ANONYMOUS, kept_attributes=["segment"], anonymity_threshold=5,
    )  # fmt: skip
    survey_create(
        organization=organization, actor=actor, name="Product launch feedback (draft)", starter="relationship_nps"
    )
    starters = {nps.pk: "relationship_nps", csat.pk: "transactional_csat", ces.pk: "ces"}
    for survey in (nps, csat, ces):
        version = survey.versions.get()
        translation_update(version=version, actor=actor, language="de", texts=_german(version, starters[survey.pk]))

    survey_send(survey=nps, actor=actor, contacts=spoken, audience={"demo": "every contact"})
    _answer_some(organization, nps, rng, share=0.55, segment=troubled)
    for contact in list(eligible(spoken).order_by("pk"))[:6]:
        one = contacts_for(organization=organization, contact_ids=[contact.pk])
        survey_send(
            survey=csat, actor=actor, contacts=one, audience={"contact": contact.pk}, kind="transactional",
            idempotency_key=f"demo-order-{contact.pk}",
        )  # fmt: skip
    _answer_some(organization, csat, rng, share=0.7, segment=troubled)
    survey_send(survey=ces, actor=actor, contacts=spoken, audience={"demo": "every contact"})
    _answer_some(organization, ces, rng, share=0.4, segment=troubled)
    survey_public_link(survey=ces, actor=actor, enabled=True)
    responses_seal(organization=organization)
