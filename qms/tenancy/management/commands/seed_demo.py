from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from qms.accounts.demo import DEMO_ORGANIZATIONS, seed_people
from qms.modules import demo_seeders
from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization

DEFAULT_PASSWORD = "closeloop-demo"


class Command(BaseCommand):
    help = "Create two demo organisations with realistic data (does nothing if they exist)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for every demo user")

    def handle(self, password: str, **options: Any) -> None:
        slugs = [slug for slug, *_ in DEMO_ORGANIZATIONS]
        if Organization.objects.filter(slug__in=slugs).exists():
            self.stdout.write("Demo organisations exist already; nothing to do.")
            self._print_logins(password=None)
            return
        with transaction.atomic():
            for organization, _ in seed_people(password=password):
                # Each module's seeder (ModuleConfig.demo_seeder), in INSTALLED_APPS order.
                for seeder in demo_seeders():
                    with organization_context(organization):
                        seeder(organization=organization, password=password)
        self._print_logins(password=password)

    def _print_logins(self, *, password: str | None) -> None:
        self.stdout.write(self.style.SUCCESS("Demo logins" + (f" (password: {password})" if password else "")))
        for slug, name, domain, people in DEMO_ORGANIZATIONS:
            self.stdout.write(f"  {name}  /o/{slug}/")
            for _, role in people:
                self.stdout.write(f"    {role:<8} {role}@{domain}")
