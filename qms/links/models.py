"""Links between any two records of one organisation, read in both directions.

A feedback item linked to another, to the complaint it became, later a complaint to its corrective action: one
table serves them all. An end is named by its object type (`app_label.model_name`, as the audit trail names it)
and its id, so any model can be linked without this app knowing it. An end that is not a model of this
deployment (a record of a module not installed yet) keeps the label it was given.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.tenancy.models import TenantOwned


class Link(TenantOwned):
    from_type = models.CharField(_("from type"), max_length=100)
    from_id = models.CharField(_("from id"), max_length=40)
    to_type = models.CharField(_("to type"), max_length=100)
    to_id = models.CharField(_("to id"), max_length=40)
    to_label = models.CharField(
        _("to label"), max_length=200, blank=True, help_text=_("Shown when the linked record is not a model.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "from_type", "from_id", "to_type", "to_id"], name="link_once_per_direction"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "from_type", "from_id"], name="link_from_idx"),
            models.Index(fields=["organization", "to_type", "to_id"], name="link_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_type}:{self.from_id} → {self.to_type}:{self.to_id}"
