from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qms.audit.selectors import audit_chain_verify
from qms.tenancy.models import Organization


class Command(BaseCommand):
    help = "Recompute each organisation's audit hash chain and report the first altered or missing event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Organisation slug (default: every organisation)")

    def handle(self, org: str | None, **options: Any) -> None:
        organizations = Organization.objects.order_by("slug")
        if org:
            organizations = organizations.filter(slug=org)
            if not organizations.exists():
                raise CommandError(f"No organisation with slug '{org}'.")
        broken = 0
        for organization in organizations:
            count, found = audit_chain_verify(organization=organization)
            if found is None:
                self.stdout.write(self.style.SUCCESS(f"{organization.slug}: intact ({count} events)"))
            else:
                broken += 1
                self.stdout.write(
                    self.style.ERROR(
                        f"{organization.slug}: BROKEN at event seq {found.seq} (position {found.position}): "
                        f"{found.reason}"
                    )
                )
        if broken:
            raise CommandError(f"{broken} audit chain(s) failed verification.")
