"""Demo people for seed_demo: an owner, a manager, a staff member and an auditor in each organisation."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from qms.accounts.models import User
from qms.accounts.services import invitation_create, user_create
from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization, Role
from qms.tenancy.services import membership_add, organization_create, organization_update

# Acme's survey pages and emails wear its own colour and sender name; Northwind keeps Closeloop's.
DEMO_BRANDING = {"acme": ("#8a2d3b", "Acme Precision Customer Care")}  # accent colour, sender name
DEMO_ORGANIZATIONS = [
    (
        "northwind",
        "Northwind Components",
        "northwind.example",
        [
            ("Olivia Owens", Role.OWNER),
            ("Marcus Reid", Role.MANAGER),
            ("Sofia Lind", Role.STAFF),
            ("Arthur Dent", Role.AUDITOR),
        ],
    ),
    (
        "acme",
        "Acme Precision Ltd",
        "acme.example",
        [
            ("Priya Shah", Role.OWNER),
            ("Tom Becker", Role.MANAGER),
            ("Lena Horvat", Role.STAFF),
            ("Grace Okafor", Role.AUDITOR),
        ],
    ),
]


def _user(email: str, name: str, password: str) -> User:
    existing = get_user_model().objects.filter(email__iexact=email).first()
    return existing or user_create(email=email, password=password, full_name=name)


def seed_people(*, password: str) -> list[tuple[Organization, list[tuple[str, str]]]]:
    """Create both demo organisations with their members; returns [(organization, [(email, role)])]."""
    created = []
    for slug, name, domain, people in DEMO_ORGANIZATIONS:
        logins: list[tuple[str, str]] = []
        owner_name = people[0][0]
        owner = _user(f"{people[0][1]}@{domain}", owner_name, password)
        organization = organization_create(name=name, slug=slug, owner=owner)
        logins.append((owner.email, Role.OWNER))
        with organization_context(organization):
            for full_name, role in people[1:]:
                user = _user(f"{role}@{domain}", full_name, password)
                expires = timezone.now() + timedelta(days=90) if role == Role.AUDITOR else None
                membership_add(organization=organization, actor=owner, user=user, role=role, expires_at=expires)
                logins.append((user.email, role))
            invitation_create(organization=organization, actor=owner, email=f"new.colleague@{domain}", role=Role.STAFF)
            if slug in DEMO_BRANDING:
                accent, sender = DEMO_BRANDING[slug]
                organization = organization_update(
                    organization=organization, actor=owner, name=name, accent_colour=accent, sender_name=sender
                )
        created.append((organization, logins))
    return created
