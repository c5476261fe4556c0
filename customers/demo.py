"""Demo data for seed_demo: each demo organisation's customer directory, with contacts in several languages."""

import random

from qms.accounts.models import User
from qms.tenancy.models import Membership, Organization, Role

from .models import Contact, Customer
from .services.customers import contact_create, customer_create

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


def seed_customers(*, organization: Organization, password: str | None = None) -> None:
    rng = random.Random(f"{organization.slug}-customers")
    owner = Membership.objects.active().get(organization=organization, role=Role.OWNER).user
    _seed_customers(organization, owner, rng)


def _seed_customers(
    organization: Organization, owner: User, rng: random.Random
) -> list[tuple[Customer, list[Contact]]]:
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
        contacts: list[Contact] = []
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
