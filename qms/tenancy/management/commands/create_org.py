from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from qms.accounts.services import user_create
from qms.tenancy.models import Organization
from qms.tenancy.services import organization_create


class Command(BaseCommand):
    help = "Create an organisation and its first owner (an existing account is reused)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner", required=True, help="Owner's email address")
        parser.add_argument("--password", help="Password for a new owner account")

    def handle(self, slug: str, name: str, owner: str, password: str | None, **options: Any) -> None:
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"An organisation with slug '{slug}' already exists.")
        try:
            Organization(name=name, slug=slug).full_clean(validate_unique=False)
            with transaction.atomic():
                user = get_user_model().objects.filter(email__iexact=owner).first()
                if user is None:
                    if not password:
                        raise CommandError("--password is needed to create a new owner account.")
                    user = user_create(email=owner, password=password)
                organization = organization_create(name=name, slug=slug, owner=user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Created {organization.name} at /o/{organization.slug}/ owned by {user.email}")
        )
