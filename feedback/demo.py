"""Demo data for seed_demo: a customer directory, a few months of varied feedback and a methods register."""

import random
from datetime import timedelta

from django.utils import timezone

from qms.tenancy.models import Membership, Role

from .models import Contact, Customer, FeedbackItem, MonitoringMethod
from .services.customers import contact_create, customer_create
from .services.inbox import (
    feedback_assign,
    feedback_close,
    feedback_create,
    feedback_set_sentiment,
    feedback_set_themes,
)
from .services.methods import method_create

CUSTOMERS = {
    "northwind": [
        ("Hartwell Engineering", "OEM", "North"),
        ("Brightline Automotive", "Automotive", "Midlands"),
        ("Calder Pumps", "Industrial", "North"),
        ("Severn Rail Systems", "Rail", "West"),
        ("Kestrel Aerospace", "Aerospace", "South"),
        ("Marlow Agritech", "Agriculture", "East"),
        ("Tyne Offshore", "Energy", "North"),
        ("Pennine Robotics", "OEM", "North"),
        ("Solent Marine", "Marine", "South"),
        ("Anglia Foods Machinery", "Industrial", "East"),
        ("Dr. Helen Morris", "Aftermarket", "Midlands"),
        ("Quarry & Co", "Construction", "West"),
    ],
    "acme": [
        ("Orbis Medical", "Medical devices", "EU"),
        ("Lumen Optics", "Optics", "UK"),
        ("Vantage Semiconductors", "Electronics", "EU"),
        ("Halden Instruments", "Laboratory", "Nordics"),
        ("Crestview Dental", "Medical devices", "UK"),
        ("Norda Energy", "Energy", "Nordics"),
        ("Pioneer Defence Systems", "Defence", "UK"),
        ("Atlas Watchworks", "Luxury", "EU"),
        ("Mr. James Whitfield", "Private", "UK"),
        ("Blue Fjord Subsea", "Energy", "Nordics"),
    ],
}
FIRST = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Femi",
    "Grace",
    "Hugo",
    "Isla",
    "Jonas",
    "Kai",
    "Lena",
    "Mateo",
    "Nia",
    "Oscar",
    "Priya",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Yusuf",
    "Zoe",
]
LAST = ["Patel", "Okafor", "Nowak", "Jensen", "Moreau", "Silva", "Khan", "Evans", "Larsen", "Rossi", "Murphy"]
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


def seed_feedback(*, organization, password=None):
    rng = random.Random(organization.slug)
    people = {m.role: m.user for m in Membership.objects.active().filter(organization=organization)}
    owner, manager, staff = people[Role.OWNER], people[Role.MANAGER], people[Role.STAFF]
    customers = _seed_customers(organization, owner, rng)
    _seed_feedback_items(organization, customers, (owner, manager, staff), rng)
    today = timezone.localdate()
    for index, (name, kind, frequency) in enumerate(METHODS):
        method_create(
            organization=organization,
            actor=owner,
            name=name,
            kind=kind,
            review_frequency=frequency,
            owner=manager if index % 2 else owner,
            last_reviewed_on=today - timedelta(days=rng.randint(10, 400)),
        )


def _seed_customers(organization, owner, rng) -> list[tuple[Customer, list[Contact]]]:
    domain_names = CUSTOMERS.get(organization.slug, CUSTOMERS["northwind"])
    result = []
    for index, (name, segment, region) in enumerate(domain_names, start=1):
        person = name.startswith(("Dr.", "Mr.", "Ms."))
        customer = customer_create(
            organization=organization,
            actor=owner,
            name=name,
            segment=segment,
            region=region,
            kind=Customer.Kind.PERSON if person else Customer.Kind.ORGANISATION,
            external_ref=f"CRM-{organization.slug[:2].upper()}-{1000 + index}",
            account_owner=owner,
        )
        domain = "".join(ch for ch in name.lower() if ch.isalnum())[:14] + ".example"
        contacts = []
        for _ in range(1 if person else rng.randint(1, 3)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            contacts.append(
                contact_create(
                    organization=organization,
                    actor=owner,
                    customer=customer,
                    name=f"{first} {last}",
                    email=f"{first}.{last}.{len(contacts)}@{domain}".lower(),
                    phone=f"+44 20 7946 {rng.randint(0, 9999):04d}",
                    preferred_language=rng.choice(["en", "en", "en", "de", "fr", "nl"]),
                    consent=rng.choice(
                        [
                            Contact.Consent.GRANTED,
                            Contact.Consent.GRANTED,
                            Contact.Consent.UNKNOWN,
                            Contact.Consent.OPTED_OUT,
                        ]
                    ),
                )
            )
        result.append((customer, contacts))
    return result


def _seed_feedback_items(organization, customers, people, rng):
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
