"""manage.py verify_responses [--org SLUG]: every survey response against its digest, every seal against its
responses; exits 1 when anything was changed, removed or slipped in."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization
from surveys.services.integrity import responses_verify


class Command(BaseCommand):
    help = "Verify the integrity of survey responses (their digests and sealed chains)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="the organisation's slug (default: every organisation)")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = Organization.objects.order_by("slug")
        if options["org"]:
            organizations = organizations.filter(slug=options["org"])
            if not organizations.exists():
                raise CommandError(f"No organisation {options['org']!r}.")
        failed = False
        for organization in organizations:
            with transaction.atomic(), organization_context(organization):
                result = responses_verify(organization=organization)
            line = (
                f"{organization.slug}: {result.responses} responses, {result.unsealed} not sealed yet, "
                f"{result.erased} erased on request"
            )
            self.stdout.write(line + (": OK" if result.ok else ": FAILED"))
            for problem in result.problems:
                self.stdout.write(f"  {problem}")
            failed = failed or not result.ok
        if failed:
            raise CommandError("Some survey responses do not verify.")
