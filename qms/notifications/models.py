"""Notifications: what a person is told (in the app, and by email at once or in a daily digest), the rules that
route each kind to people, and each member's own settings.

A notification names its record by object type (`app_label.model_name`, as the audit trail does), id and URL, so
any module's record can be the subject of one without this app knowing the module.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.modules import notification_kind
from qms.tenancy.models import Membership, TenantOwned


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", _("Email me at once")
    DIGEST = "digest", _("One email a day, a digest")


class Notification(TenantOwned):
    class Email(models.TextChoices):
        IMMEDIATE = "immediate", _("Emailed at once")
        DIGEST = "digest", _("In the daily digest")
        NONE = "none", _("Not emailed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(_("url"), max_length=500, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # How its email goes, and when it was written to the outbox (at once, or with the digest that listed it).
    email = models.CharField(_("email"), max_length=16, choices=Email.choices, default=Email.NONE)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["organization", "recipient", "created_at"], name="notification_list_idx"),
            models.Index(fields=["organization", "email", "emailed_at"], name="notification_digest_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationRule(TenantOwned):
    """Who hears of a kind of notification: when its facts match every condition, the target is told."""

    audited_fields = ("kind", "conditions", "target", "member", "active", "deleted_at")

    class Target(models.TextChoices):
        MANAGERS = "managers", _("The managers (owners and managers)")
        MEMBER = "member", _("A named member")

    kind = models.CharField(_("kind"), max_length=64)
    conditions = models.JSONField(
        _("conditions"), default=dict, blank=True, help_text=_("Fact name → the value it must have.")
    )
    target = models.CharField(_("target"), max_length=16, choices=Target.choices, default=Target.MANAGERS)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("member"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification rule")
        verbose_name_plural = _("notification rules")
        ordering = ["kind", "created_at", "pk"]
        indexes = [models.Index(fields=["organization", "kind", "active"], name="notification_rule_kind_idx")]

    def __str__(self) -> str:
        kind = notification_kind(self.kind)
        who = self.get_target_display() if self.member is None else self.member.get_full_name() or self.member.email
        return f"{kind.label if kind else self.kind} → {who}"


class NotificationPreference(TenantOwned):
    """A member's own settings: how they are emailed, and the kinds they turned off (neither emailed nor shown)."""

    audited_fields = ("delivery", "muted_kinds")

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("membership"))
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    muted_kinds = models.JSONField(_("muted kinds"), default=list, blank=True)
    last_digest_at = models.DateTimeField(_("last digest at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["organization", "membership"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"Notification settings of {self.membership.user}"
