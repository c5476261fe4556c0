from celery import shared_task

from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization

from .checkpoints import audit_checkpoint_create


@shared_task(name="audit.checkpoint", acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=270)
def audit_checkpoints() -> int:
    """Beat (AUDIT_CHECKPOINT_SECONDS): sign each organisation's chain head where events were appended since."""
    made = 0
    for organization in Organization.objects.order_by("pk"):  # the organisations themselves are no tenant rows
        with organization_context(organization):
            made += audit_checkpoint_create(organization=organization) is not None
    return made
