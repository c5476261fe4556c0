from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qms.accounts.services import api_token_create
from qms.tenancy.context import organization_context
from qms.tenancy.models import Membership
from qms.tenancy.resolution import resolve_organization


class Command(BaseCommand):
    help = "Create an API token acting as a member of an organisation; prints the token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--email", required=True, help="The member the token acts as")
        parser.add_argument("--name", default="Command-line token")

    def handle(self, org: str, email: str, name: str, **options: Any) -> None:
        organization = resolve_organization(org)
        if organization is None:
            raise CommandError(f"No organisation with slug '{org}'.")
        with organization_context(organization):
            membership = (
                Membership.objects.active().filter(organization=organization, user__email__iexact=email).first()
            )
            if membership is None:
                raise CommandError(f"{email} is not an active member of {organization.name}.")
            try:
                _, key = api_token_create(
                    organization=organization, actor=membership.user, membership=membership, name=name
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(key)
