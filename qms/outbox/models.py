from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from qms.tenancy.models import Organization, TenantTable


class OutboxMessage(TenantTable):
    """An email waiting to leave, written in the same transaction as the change that caused it.

    `organization` is empty only for system mail (password reset), which is visible in the system context alone
    (qms.tenancy.context.system_context).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    purpose = models.CharField(max_length=64)
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organization="organization")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "state", "created_at"]),
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} to {self.to_email}"
