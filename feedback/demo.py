"""Demo data for seed_demo: a few months of varied feedback from the demo customers, and a methods register."""

import random
from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from customers.models import Contact, Customer
from customers.selectors.directory import customers_with_live_contacts
from qms.accounts.models import User
from qms.tenancy.models import Membership, Organization, Role

from .models import FeedbackItem, MethodReview, MonitoringMethod
from .services.inbox import (
    feedback_assign,
    feedback_close,
    feedback_create,
    feedback_set_sentiment,
    feedback_set_themes,
)
from .services.methods import method_create, method_review

THEMES = [
    "Delivery time",
    "Product quality",
    "Documentation",
    "Packaging",
    "Pricing",
    "Technical support",
    "Communication",
    "Invoicing",
]
PRODUCTS = {
    "northwind": [
        "Hydraulic valve HV-200",
        "Gear pump GP-45",
        "Sensor housing SH-9",
        "Field service",
        "Spare parts portal",
    ],
    "acme": [
        "Precision shaft PS-12",
        "Optical mount OM-3",
        "Calibration service",
        "Machined enclosure ME-7",
        "Technical documentation",
    ],
}
TEXTS = {
    FeedbackItem.Kind.COMPLIMENT: [
        "Your field engineer solved the problem on the first visit. Thank you!",
        "Delivery arrived two days early and perfectly packed.",
        "The new documentation is much clearer than the previous edition.",
    ],
    FeedbackItem.Kind.SUGGESTION: [
        "It would help if the order confirmation listed the batch numbers.",
        "Could you offer a quarterly call to review open orders?",
        "Please add the torque values to the installation sheet.",
    ],
    FeedbackItem.Kind.QUESTION: [
        "Is the HV-200 compatible with our older manifold blocks?",
        "Where can we download the certificates of conformity?",
    ],
    FeedbackItem.Kind.CONCERN: [
        "Two of the last five deliveries were late; our line stood still for half a day.",
        "The latest batch shows surface scratches on the sealing face.",
        "Invoices keep arriving without our purchase order number.",
    ],
    FeedbackItem.Kind.COMPLAINT: [
        "Parts from order 4471 failed our incoming inspection: dimensions out of tolerance.",
        "We were promised a call back within 24 hours and heard nothing for a week.",
    ],
}
SENTIMENT = {
    FeedbackItem.Kind.COMPLIMENT: FeedbackItem.Sentiment.POSITIVE,
    FeedbackItem.Kind.SUGGESTION: FeedbackItem.Sentiment.NEUTRAL,
    FeedbackItem.Kind.QUESTION: FeedbackItem.Sentiment.NEUTRAL,
    FeedbackItem.Kind.CONCERN: FeedbackItem.Sentiment.NEGATIVE,
    FeedbackItem.Kind.COMPLAINT: FeedbackItem.Sentiment.NEGATIVE,
}
METHODS = [
    ("Annual customer satisfaction survey", MonitoringMethod.Kind.SURVEY, MonitoringMethod.Frequency.YEARLY),
    ("Post-delivery pulse survey", MonitoringMethod.Kind.SURVEY, MonitoringMethod.Frequency.QUARTERLY),
    (
        "Feedback inbox (email, phone, web form)",
        MonitoringMethod.Kind.INBOX_CHANNEL,
        MonitoringMethod.Frequency.MONTHLY,
    ),
    ("Key account review meetings", MonitoringMethod.Kind.MEETING, MonitoringMethod.Frequency.QUARTERLY),
    ("Warranty claims and returns analysis", MonitoringMethod.Kind.WARRANTY, MonitoringMethod.Frequency.MONTHLY),
    ("Distributor and dealer reports", MonitoringMethod.Kind.DEALER, MonitoringMethod.Frequency.HALF_YEARLY),
    ("Market share and lost-order analysis", MonitoringMethod.Kind.MARKET_DATA, MonitoringMethod.Frequency.YEARLY),
]


REVIEW_OUTCOMES = [
    (MethodReview.Outcome.EFFECTIVE, ""),
    (MethodReview.Outcome.EFFECTIVE, "Answers arrive on time and feed the management review; no change."),
    (MethodReview.Outcome.IMPROVE, "Response rate fell to 14 %: send it a week after delivery, not at month end."),
    (MethodReview.Outcome.IMPROVE, "Two complaints last quarter were not seen here: add the service desk's notes."),
    (MethodReview.Outcome.INEFFECTIVE, "Nobody reads these reports: replace them by the key account meetings."),
]


def seed_feedback(*, organization: Organization, password: str | None = None) -> None:
    rng = random.Random(organization.slug)
    people = {m.role: m.user for m in Membership.objects.active().filter(organization=organization)}
    owner, manager, staff = people[Role.OWNER], people[Role.MANAGER], people[Role.STAFF]
    customers = [
        (c, c.live_contacts) for c in customers_with_live_contacts(organization=organization) if c.live_contacts
    ]
    _seed_feedback_items(organization, customers, (owner, manager, staff), rng)
    today = timezone.localdate()
    for index, (name, kind, frequency) in enumerate(METHODS):
        method = method_create(
            organization=organization,
            actor=owner,
            name=name,
            kind=kind,
            review_frequency=frequency,
            owner=manager if index % 2 else owner,
        )
        # A history of reviews, one period apart, the latest 10 to 400 days ago (some are due again).
        period = {"monthly": 30, "quarterly": 91, "half_yearly": 182, "yearly": 365}[frequency]
        latest = today - timedelta(days=rng.randint(10, 400))
        for back in reversed(range(rng.randint(1, 3))):
            outcome, notes = rng.choice(REVIEW_OUTCOMES)
            method = method_review(
                method=method,
                actor=method.owner or owner,
                outcome=outcome,
                notes=notes,
                reviewed_on=latest - timedelta(days=back * period),
            )


def _seed_feedback_items(
    organization: Organization,
    customers: Sequence[tuple[Customer, list[Contact]]],
    people: tuple[User, User, User],
    rng: random.Random,
) -> None:
    owner, manager, staff = people
    today = timezone.localdate()
    kinds = list(TEXTS)
    weights = [3, 3, 2, 3, 1]
    for _ in range(45):
        kind = rng.choices(kinds, weights)[0]
        customer, contacts = rng.choice(customers)
        item = feedback_create(
            organization=organization,
            actor=rng.choice(people),
            kind=kind,
            channel=rng.choice(FeedbackItem.Channel.values[:-1]),
            text=rng.choice(TEXTS[kind]),
            customer=customer,
            contact=rng.choice(contacts),
            product=rng.choice(PRODUCTS.get(organization.slug, PRODUCTS["northwind"])),
            received_on=today - timedelta(days=rng.randint(0, 120)),
        )
        roll = rng.random()
        if roll < 0.75:
            feedback_assign(feedback=item, actor=manager, assignee=rng.choice([manager, staff]))
            feedback_set_themes(
                feedback=item, actor=manager, themes=[], new_names=rng.sample(THEMES, rng.randint(1, 2))
            )
            feedback_set_sentiment(feedback=item, actor=manager, sentiment=SENTIMENT[kind])
        if roll < 0.45:
            feedback_close(feedback=item, actor=manager, note="Answered the customer and recorded the outcome.")
