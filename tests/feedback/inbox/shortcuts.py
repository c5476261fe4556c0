"""Shortcuts the feedback inbox tests share: URLs, rows, audit events, uploaded files."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from feedback.models import FeedbackItem
from qms.audit.models import AuditEvent
from qms.audit.sealing import unseal_events
from tests.factories import FeedbackItemFactory


def url(tenant, name: str, **kwargs) -> str:
    return reverse(f"feedback:{name}", kwargs={"org_slug": tenant.slug, **kwargs})


def make_item(tenant, **values) -> FeedbackItem:
    return FeedbackItemFactory(organization=tenant.organization, **values)


def reload(tenant, item) -> FeedbackItem:
    with tenant.context():
        return FeedbackItem.objects.get(pk=item.pk)


def events(tenant, action: str | None = None) -> list[AuditEvent]:
    with tenant.context():
        qs = AuditEvent.objects.filter(organization=tenant.organization).order_by("seq")
        # As the trail shows them: personal fields unsealed (tests/audit covers the sealed form).
        return unseal_events(organization=tenant.organization, events=qs.filter(action=action) if action else qs)


def erase_contact(client, tenant, contact) -> None:
    """Erase the contact through its page, as an owner confirms it."""
    response = client.post(
        reverse("customers:contact_erase", kwargs={"org_slug": tenant.slug, "contact_id": contact.pk}),
        {"confirm": "ERASE"},
    )
    assert response.status_code == 302


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
