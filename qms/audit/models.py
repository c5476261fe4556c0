from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.tenancy.models import Organization, TenantOwned

GENESIS_HASH = "0" * 64


class AuditChainHead(TenantOwned):
    """The last link of an organisation's chain; locking this row serialises writers so the chain never forks."""

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    seq = models.BigIntegerField(_("seq"), default=0)
    hash = models.CharField(_("hash"), max_length=64, default=GENESIS_HASH)


class AuditEvent(TenantOwned):
    seq = models.BigIntegerField(_("seq"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor label"), max_length=254)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object repr"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    prev_hash = models.CharField(_("prev hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        constraints = [models.UniqueConstraint(fields=["organization", "seq"], name="auditevent_one_seq_per_org")]
        indexes = [
            models.Index(fields=["organization", "created_at"]),
            models.Index(fields=["organization", "object_type", "object_id"]),
            models.Index(fields=["organization", "actor"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditCheckpoint(TenantOwned):
    """The chain's head at a moment, signed with the organisation's key held outside the database (signing.py).

    Events deleted together with the chain head's rows are still found: verify_audit checks the chain against the
    latest checkpoint, and against one exported earlier (owners download them, and they are emailed to owners).
    """

    seq = models.BigIntegerField(_("seq"))
    hash = models.CharField(_("hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    key_id = models.CharField(_("key id"), max_length=32)
    signature = models.CharField(_("signature"), max_length=100)

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        constraints = [models.UniqueConstraint(fields=["organization", "seq"], name="audit_checkpoint_one_per_seq")]

    def __str__(self) -> str:
        return f"checkpoint at event {self.seq}"


class PersonalDataKey(TenantOwned):
    """The key that seals one person's (or one record's) personal data in audit events; see audit/sealing.py.

    Erasure deletes the key: the events stay, hash chain intact, and their sealed values can no longer be read.
    """

    subject = models.CharField(
        _("subject"), max_length=100, help_text=_("app_label.model:pk of what the data is about.")
    )
    key = models.CharField(_("key"), max_length=64, help_text=_("Fernet key (urlsafe base64)."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("personal data key")
        verbose_name_plural = _("personal data keys")
        constraints = [
            models.UniqueConstraint(fields=["organization", "subject"], name="personal_data_key_one_per_subject")
        ]

    def __str__(self) -> str:
        return self.subject
