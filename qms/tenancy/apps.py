from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "qms.tenancy"
    label = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from .rls import apply_row_level_security

        post_migrate.connect(apply_row_level_security, sender=self, dispatch_uid="tenancy-rls")
