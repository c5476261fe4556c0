"""Demo data for seed_demo: a survey of every kind, translated into German, sent to the demo customers and
answered by many of them over a year, each answer written through the services as a customer's would be, on the
day it was given:

- a relationship NPS sent twice a year, whose detractors now sit mostly in one segment;
- a transactional CSAT after every delivery for twelve months (weekly; the busiest segment's twice a week), steady
  until three months ago, when that segment's satisfaction drops — far enough for the trend to flag it;
- an anonymous CES with its public link on;
- follow-up rules (NPS at most 6 for the account owner, CSAT 1 for the manager) since last quarter, whose
  follow-ups are opened in the inbox, the older ones already closed;
- campaigns: the troubled segment's quarterly NPS, whose first wave went out eleven weeks ago with two reminders
  (its waves, exclusions and response rate to look at, the next wave planned), the deliveries' campaign that the
  API adds contacts to (its next wave tomorrow), and a draft for a region with its audience preview.
"""

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone, translation

from customers.models import Contact
from feedback.models import FeedbackItem
from feedback.services.inbox import feedback_close
from qms.accounts.models import User
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Membership, Organization, Role

from .models import Campaign, CampaignMember, Invitation, Question, Survey, SurveySend, SurveyVersion
from .questionnaire import Questionnaire
from .services.answering import response_submit
from .services.campaigns import campaign_create, campaign_launch, campaign_messages, members_add, steps_run
from .services.design import survey_create, translation_update
from .services.follow_ups import follow_ups_open
from .services.integrity import responses_seal
from .services.loop import loop_rule_create
from .services.public_link import survey_public_link
from .services.sending import eligible, survey_send
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


def _answer_some(
    organization: Organization,
    send: SurveySend,
    rng: random.Random,
    *,
    share: float,
    unhappy: dict[bool, float],
    segment: str,
    days: int = 0,
) -> None:
    """Answer a share of the send's invitations, a segment's customers unhappy with their own odds, each within
    `days` of the send (and never after now)."""
    now = timezone.now()
    for invitation in (
        Invitation.objects.filter(organization=organization, send=send)
        .select_related("version", "contact__customer")
        .order_by("pk")  # the same draws in the same order on every database
    ):
        if rng.random() > share:
            continue
        questionnaire = Questionnaire.of(list(invitation.version.questions.all()))
        in_segment = invitation.contact.customer is not None and invitation.contact.customer.segment == segment
        given = min(send.created_at + timedelta(days=rng.uniform(0, days), minutes=rng.randint(20, 600)), now)
        response_submit(
            organization=organization, version=invitation.version, questionnaire=questionnaire,
            language=invitation.language, invitation=invitation, now=given,
            answers=_answers(questionnaire, rng, unhappy=rng.random() < unhappy[in_segment]),
        )  # fmt: skip


def _sent_on(send: SurveySend, moment: datetime) -> SurveySend:
    """A send of the demo's past: made at `moment`, its emails delivered a few minutes later."""
    expires = moment + timedelta(days=30)
    SurveySend.objects.filter(pk=send.pk).update(created_at=moment, expires_at=expires)
    invitations = Invitation.objects.filter(organization=send.organization, send=send)
    invitations.update(created_at=moment, expires_at=expires)
    OutboxMessage.objects.filter(pk__in=invitations.values("message_id")).update(
        state=OutboxMessage.State.SENT, attempts=1, sent_at=moment + timedelta(minutes=4)
    )
    send.created_at = moment
    return send


def _year_of_deliveries(
    organization: Organization, survey: Survey, actor: User, contacts: Any, rng: random.Random, *, busy: str
) -> None:
    """A CSAT after every delivery for twelve months: each customer weekly, the busy segment's twice a week. That
    segment grows unhappy three months ago, when the follow-up rules start."""
    today = timezone.localdate(timezone=organization.zone())
    zone = organization.zone()
    weekly = contacts.filter(customer__segment=busy)
    for months_ago in range(11, -1, -1):
        year, month = divmod(today.year * 12 + today.month - 1 - months_ago, 12)
        first = date(year, month + 1, 1)
        troubled = months_ago < 3
        if months_ago == 2:
            _loop_rules(organization, actor)
        waves = [(contacts, day) for day in (2, 9, 16, 23)] + [(weekly, day) for day in (5, 12, 19, 26)]
        for audience, day in waves:
            moment = datetime.combine(first + timedelta(days=day), time(9, rng.randint(0, 59)), tzinfo=zone)
            if moment >= timezone.now() or not eligible(audience).exists():
                continue
            send = _sent_on(
                survey_send(survey=survey, actor=actor, contacts=audience, audience={"demo": "deliveries"},
                            kind=SurveySend.Kind.TRANSACTIONAL),
                moment,
            )  # fmt: skip
            odds = {True: 0.8 if troubled else 0.1, False: 0.12}
            _answer_some(organization, send, rng, share=0.75, unhappy=odds, segment=busy, days=6)


def _loop_rules(organization: Organization, actor: User) -> None:
    for survey in Survey.objects.filter(organization=organization, name__in=[NPS_NAME, CSAT_NAME]):
        nps = survey.name == NPS_NAME
        loop_rule_create(
            survey=survey, actor=actor, question_code="nps" if nps else "csat", condition="at_most",
            value="6" if nps else "1", assign_to="account_owner" if nps else "person", assignee=None if nps else actor,
        )  # fmt: skip


def _follow_ups(organization: Organization, actor: User) -> None:
    """Open the follow-ups the answers asked for, as the worker would, and close those older than a month."""
    follow_ups_open(organization=organization)
    month_ago = timezone.localdate(timezone=organization.zone()) - timedelta(days=30)
    old = FeedbackItem.objects.filter(
        organization=organization, channel=FeedbackItem.Channel.SURVEY, received_on__lt=month_ago
    )
    for item in old.select_related("organization"):
        feedback_close(feedback=item, actor=actor, note="Called the customer, agreed a fix and confirmed it with them.")


REMINDERS = [
    {"after_days": 4, "subject": {"en": "Two minutes to tell us how we are doing?",
                                  "de": "Zwei Minuten für Ihre Meinung?"},
     "body": {"en": "You have not answered yet: your view decides what we improve next.",
              "de": "Sie haben noch nicht geantwortet: Ihre Meinung entscheidet, was wir als Nächstes verbessern."}},
    {"after_days": 9, "subject": {"en": "Last days to answer our survey", "de": "Letzte Tage für unsere Umfrage"},
     "body": {"en": "The survey closes soon. Thank you for your time.",
              "de": "Die Umfrage schließt bald. Danke für Ihre Zeit."}},
]  # fmt: skip


def _delivered(campaign: Campaign) -> None:
    """The campaign's emails of the demo's past went out a few minutes after they were due."""
    campaign_messages(campaign).filter(state=OutboxMessage.State.PENDING).update(
        state=OutboxMessage.State.SENT, attempts=1, sent_at=F("next_attempt_at") + timedelta(minutes=3)
    )


def _campaigns(
    organization: Organization,
    actor: User,
    surveys: tuple[Survey, Survey],
    spoken: Any,
    troubled: str,
    rng: random.Random,
) -> None:
    """Three campaigns: one whose first wave and reminders went out weeks ago (to a list: the contacts who read a
    language the survey speaks), the API's, and a draft for a region, whose preview shows the
    translation gate (some of its contacts read French)."""
    nps, csat = surveys
    zone = organization.zone()
    today = timezone.localdate(timezone=zone)
    start = datetime.combine(today - timedelta(days=77), time(9, 0), tzinfo=zone)
    quarterly = campaign_create(
        organization=organization, actor=actor, name="Every customer: NPS every quarter",
        survey=nps, audience=Campaign.Audience.LIST, audience_value="", every=Campaign.Every.QUARTER,
        start_on=start.date(), at=start.time(), per_day=0, expiry_days=30, reminders=REMINDERS,
    )  # fmt: skip
    members_add(campaign=quarterly, actor=actor, contacts=spoken.values_list("pk", flat=True),
                source=CampaignMember.Source.LIST)  # fmt: skip
    campaign_launch(campaign=quarterly, actor=actor, now=start - timedelta(hours=2))
    steps_run(organization=organization, now=start)
    _delivered(quarterly)
    for send in SurveySend.objects.filter(organization=organization, campaign=quarterly):
        _answer_some(organization, send, rng, share=0.35, unhappy={True: 0.55, False: 0.15}, segment=troubled, days=3)
    for days in (4, 9, 31):  # the reminders, each on its day, then the links expire
        steps_run(organization=organization, now=start + timedelta(days=days, minutes=1))
        _delivered(quarterly)

    tomorrow = today + timedelta(days=1)
    deliveries = campaign_create(
        organization=organization, actor=actor, name="After every delivery", survey=csat,
        audience=Campaign.Audience.API, audience_value="", every=Campaign.Every.DAYS, every_days=1,
        start_on=tomorrow, at=time(10, 0), per_day=0, expiry_days=14, reminders=REMINDERS[:1],
    )  # fmt: skip
    delivered = spoken.exclude(email="").order_by("pk")[:8]
    members_add(campaign=deliveries, actor=None, contacts=[c.pk for c in delivered], source=CampaignMember.Source.API)
    campaign_launch(campaign=deliveries, actor=actor)

    regions = Contact.objects.filter(organization=organization).exclude(customer__region="")
    region = regions.values_list("customer__region", flat=True).order_by("customer__region").first() or ""
    if region:
        campaign_create(
            organization=organization, actor=actor, name=f"{region}: yearly partner survey", survey=nps,
            audience=Campaign.Audience.REGION, audience_value=region, every=Campaign.Every.YEAR,
            start_on=today + timedelta(days=30), at=time(9, 30), per_day=50, expiry_days=21, reminders=REMINDERS[:1],
        )  # fmt: skip


NPS_NAME, CSAT_NAME = "Customer relationship survey 2026", "After delivery"


def seed_surveys(*, organization: Organization, password: str | None = None) -> None:
    rng = random.Random(f"surveys-{organization.slug}")
    actor = _manager(organization)
    spoken = Contact.objects.filter(organization=organization).filter(
        Q(preferred_language__in=SPOKEN) | Q(preferred_language="")
    )
    by_segment = eligible(spoken).exclude(customer__segment="").values("customer__segment").annotate(n=Count("pk"))
    busiest = max(by_segment, key=lambda row: (row["n"], row["customer__segment"]), default=None)
    troubled = busiest["customer__segment"] if busiest else ""

    nps = survey_create(organization=organization, actor=actor, name=NPS_NAME,
                        starter="relationship_nps", description="Twice a year, to every active customer.")  # fmt: skip
    csat = survey_create(organization=organization, actor=actor, name=CSAT_NAME, starter="transactional_csat")
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

    half_year_ago = timezone.now() - timedelta(days=182)
    spring = _sent_on(survey_send(survey=nps, actor=actor, contacts=spoken, audience={"demo": "every contact"}),
                      half_year_ago)  # fmt: skip
    _answer_some(organization, spring, rng, share=0.6, unhappy={True: 0.15, False: 0.12}, segment=troubled, days=14)
    _year_of_deliveries(organization, csat, actor, spoken, rng, busy=troubled)
    autumn = survey_send(survey=nps, actor=actor, contacts=spoken, audience={"demo": "every contact"})
    _answer_some(organization, autumn, rng, share=0.55, unhappy={True: 0.6, False: 0.15}, segment=troubled)
    ces_send = survey_send(survey=ces, actor=actor, contacts=spoken, audience={"demo": "every contact"})
    _answer_some(organization, ces_send, rng, share=0.4, unhappy={True: 0.6, False: 0.15}, segment=troubled)
    survey_public_link(survey=ces, actor=actor, enabled=True)
    _campaigns(organization, actor, (nps, csat), spoken, troubled, rng)
    _follow_ups(organization, actor)
    responses_seal(organization=organization)
