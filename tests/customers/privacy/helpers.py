import hashlib

from feedback.models import Attachment


def attach(tenant, item, name, content=b"%PDF-1.4 test"):
    """An attachment row as the inbox stores it (the file itself does not matter to these tests)."""
    with tenant.context():
        return Attachment.objects.create(
            organization=tenant.organization,
            feedback=item,
            file=f"attachments/test/{hashlib.sha256(content).hexdigest()[:32]}",
            original_name=name,
            content_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=tenant.manager,
        )
