from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qms.audit.checkpoints import CheckpointFileError, checkpoint_from_json
from qms.audit.selectors import audit_chain_verify
from qms.tenancy.models import Organization


class Command(BaseCommand):
    help = "Recompute each organisation's audit hash chain and report the first altered or missing event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Organisation slug (default: every organisation)")
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="A checkpoint exported earlier (downloaded, or from the owners' email): check its organisation's "
            "chain against it instead of the latest stored one",
        )

    def handle(self, org: str | None, checkpoint: str | None = None, **options: Any) -> None:
        exported = None
        if checkpoint:
            try:
                exported = checkpoint_from_json(Path(checkpoint).read_text(encoding="utf-8"))
            except (OSError, CheckpointFileError) as exc:
                raise CommandError(f"{checkpoint}: {exc}") from exc
            org = org or exported.slug
        organizations = Organization.objects.order_by("slug")
        if org:
            organizations = organizations.filter(slug=org)
            if not organizations.exists():
                raise CommandError(f"No organisation with slug '{org}'.")
        broken = 0
        for organization in organizations:
            count, found = audit_chain_verify(organization=organization, checkpoint=exported)
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
