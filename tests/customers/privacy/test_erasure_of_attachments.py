"""The files attached to a contact's feedback: listed in their export, and gone from storage and from the inbox
when they are erased, with the trail saying that a file was removed (its type and size, never its name)."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback.models import Attachment
from qms.audit.models import AuditEvent
from qms.audit.selectors import audit_chain_verify
from tests.factories import ContactFactory, FeedbackItemFactory

NAME = "Tariq Patel - flange leak.pdf"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def tariq(alpha):
    return ContactFactory(customer__organization=alpha.organization, name="Tariq Patel", email="tariq@patel.example")


def _attach(client, item, name, content=PDF):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post(f"/o/alpha/feedback/{item.pk}/attachments/", {"file": upload}, follow=True)
    assert response.redirect_chain and response.status_code == 200  # its "Attached …" message shown and gone


def _attachments(tenant, item) -> list[Attachment]:
    with tenant.context():
        return list(Attachment.objects.filter(organization=tenant.organization, feedback=item).order_by("pk"))


@pytest.fixture
def attached(alpha, login, media, tariq):
    """Tariq's item with his file, and someone else's item with theirs."""
    client = login(alpha.manager)
    theirs = FeedbackItemFactory(organization=alpha.organization, contact=tariq, customer=tariq.customer)
    other = FeedbackItemFactory(organization=alpha.organization, submitter_email="bea@okafor.example")
    _attach(client, theirs, NAME)
    _attach(client, other, "Bea's photo.pdf", PDF + b"%bea")
    [file] = _attachments(alpha, theirs)
    assert (media / file.file.name).exists()
    return client, theirs, other, file


def test_the_export_lists_the_files_attached_to_their_feedback(alpha, attached, tariq):
    client, theirs, _, file = attached
    data = json.loads(client.get(f"/o/alpha/contacts/{tariq.pk}/export.json").content)
    [item] = data["feedback"]
    assert item["reference"] == theirs.reference
    [listed] = item["attachments"]
    assert (listed["name"], listed["size"], listed["content_type"]) == (NAME, len(PDF), "application/pdf")
    assert listed["uploaded_at"].startswith(f"{file.uploaded_at:%Y-%m-%d}")
    assert "Bea's photo.pdf" not in json.dumps(data)


def test_erasure_deletes_their_files_from_storage_and_the_inbox(
    alpha, attached, tariq, media, django_capture_on_commit_callbacks
):
    client, theirs, other, file = attached
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/o/alpha/contacts/{tariq.pk}/erase/").status_code == 302

    assert not (media / file.file.name).exists()
    assert _attachments(alpha, theirs) == []
    page = client.get(f"/o/alpha/feedback/{theirs.pk}/").content.decode()
    assert "flange leak" not in page and "No files attached." in page
    assert client.get(f"/o/alpha/feedback/{theirs.pk}/attachments/{file.pk}/").status_code == 404
    export = client.get(f"/o/alpha/contacts/{tariq.pk}/export.json").content.decode()
    assert "flange leak" not in export
    [kept] = _attachments(alpha, other)
    assert Path(media / kept.file.name).read_bytes() == PDF + b"%bea"


def test_the_trail_says_a_file_was_removed_and_no_longer_names_it(alpha, attached, tariq):
    client, theirs, _, file = attached
    client.post(f"/o/alpha/contacts/{tariq.pk}/erase/")

    with alpha.context():
        erased = AuditEvent.objects.get(organization=alpha.organization, action="feedback.erase_personal_data")
        tombstone = AuditEvent.objects.get(organization=alpha.organization, action="contact.erase")
        count = AuditEvent.objects.filter(organization=alpha.organization).count()
    assert erased.object_id == str(theirs.pk)
    assert "attachments" in erased.changes["erased_fields"][1].split(", ")
    assert erased.changes["attachments_removed"] == [None, f"#{file.pk}, application/pdf, {len(PDF)} bytes"]
    assert tombstone.changes["attachments"] == [None, 1]
    for where in (f"/o/alpha/feedback/{theirs.pk}/", "/o/alpha/audit/?per_page=100", "/o/alpha/audit/export.csv"):
        assert "flange leak" not in client.get(where).content.decode(), where
    assert "Bea&#x27;s photo.pdf" in client.get("/o/alpha/audit/?per_page=100").content.decode()
    assert audit_chain_verify(organization=alpha.organization) == (count, None)
