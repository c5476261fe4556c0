from typing import cast

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from customers.phrases import AUDIT_ACTIONS
from qms import modules, permissions


class CustomersConfig(modules.ModuleConfig):
    name = "customers"
    verbose_name = _("Customers")

    urls = "customers.urls"
    navigation = (
        # NavEntry's label is typed str; the lazy string is read when the navigation is drawn.
        modules.NavEntry(
            cast(str, _("Customers")), "customers:customer_list", order=10, group="directory", icon="building-office-2"
        ),
    )
    demo_seeder = "customers.demo.seed_customers"
    dashboard_cards = "customers.selectors.directory.dashboard_cards"
    dashboard_attention = "customers.selectors.directory.dashboard_attention"
    audit_actions = AUDIT_ACTIONS
    permissions = {
        "customers.view": permissions.EVERYONE,
        "customers.edit": permissions.WRITERS,
        "customers.import_view": permissions.OVERSEERS,
        "customers.import": permissions.MANAGERS,
        "contacts.privacy": permissions.MANAGERS,
        "contacts.deliverability": permissions.MANAGERS,
        "customers.saved_views": permissions.WRITERS,
    }
    sweep_cases = ("tests.customers.sweep_cases",)
    database_crossings = ("customers.services.import_upkeep.ORGANIZATIONS_WITH_IMPORTS",)

    def periodic_tasks(self) -> dict[str, dict]:
        return {"import-upkeep": {"task": "customers.import_upkeep", "schedule": settings.IMPORT_UPKEEP_SECONDS}}
