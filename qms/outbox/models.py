from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from qms.tenancy.models import Organization, TenantTable


class OutboxMessage(TenantTable):
    """An email waiting to leave, written in the same transaction as the change that caused it.

    `organization` is empty only for system mail (password reset), which is visible in the system context alone
    (qms.tenancy.context.system_context). A message with a `renderer` is written without its subject and body: the
    worker fills them (and extra headers) from the renderer and `context` just before sending, and keeps them on the
    row (qms.outbox.rendering).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")  # withdrawn before it left (a revoked invitation, a cancelled wave)

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("organization"),
    )
    purpose = models.CharField(_("purpose"), max_length=64)
    to_email = models.EmailField(_("to email"))
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("body text"))
    body_html = models.TextField(_("body html"), blank=True)
    # Extra headers sent with it (List-Unsubscribe …), beside its Message-ID.
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    # A deferred message: the key of a module's email renderer (ModuleConfig.email_renderers) and what it needs.
    renderer = models.CharField(_("renderer"), max_length=100, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    message_id = models.CharField(_("message id"), max_length=200)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = ScopedManager(organization="organization")

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "state", "created_at"]),
            # Mail due, whatever its organisation (the relay's crossing): pending rows only, so that a sent one
            # leaves no entry behind.
            models.Index(fields=["next_attempt_at"], name="outbox_due", condition=models.Q(state="pending")),
            # An organisation's due mail in the order the claim takes it: a claim reads its batch, not the whole wave.
            models.Index(
                fields=["organization", "next_attempt_at"], name="outbox_org_due", condition=models.Q(state="pending")
            ),
            # What an organisation has in flight (leased, not yet sent): the relay's cap counts it at each claim.
            models.Index(
                fields=["organization", "lease_until"],
                name="outbox_leased",
                condition=models.Q(state="pending", lease_until__isnull=False),
            ),
        ]
        constraints = [
            # Unique as a constraint, not a field's unique=True: no second, pattern-matching index that nothing
            # reads and every sent message would write to.
            models.UniqueConstraint(fields=["message_id"], name="outbox_message_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} to {self.to_email}"


class OutboxSendRate(TenantTable):
    """An organisation's send budget, a token bucket (its own `per_minute`, else OUTBOX_RATE_PER_MINUTE): every
    claim of its mail takes tokens, which refill at that rate up to one minute's worth. Its row is also the lock that
    serialises the organisation's claims, so several relays (beat, nudges, the workers' follow-up claims) never
    lease more than the cap together.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    tokens = models.FloatField(_("tokens"), default=0)
    refilled_at = models.DateTimeField(_("refilled at"), default=timezone.now)
    # The organisation's own rate, set by a manager (Settings → Email delivery); empty: the server's default.
    per_minute = models.PositiveIntegerField(_("emails a minute"), null=True, blank=True)

    audited_fields = ("per_minute",)

    objects = ScopedManager(organization="organization")

    class Meta:
        verbose_name = _("outbox send rate")
        verbose_name_plural = _("outbox send rates")

    def __str__(self) -> str:
        return f"{self.tokens:.0f} tokens"

    @property
    def audit_name(self) -> str:
        return "Email sending rate"
