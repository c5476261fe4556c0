"""Attachments: accepted by what the bytes are, size-capped, stored under their hash, served only as downloads."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from openpyxl import Workbook

from feedback.models import Attachment
from feedback.services.attachments import check_upload
from qms.audit.models import AuditEvent

from .shortcuts import events, make_item, png_bytes, upload, url

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Complaints per month"
    book.save(buffer)
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def _attachments(tenant):
    with tenant.context():
        return list(Attachment.objects.filter(organization=tenant.organization).order_by("pk"))


def _attach(client, tenant, item, name, content):
    return client.post(url(tenant, "attachment_upload", feedback_id=item.pk), {"file": upload(name, content)})


# --- what is accepted ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("crack.png", png_bytes(), "image/png"),
        ("scan.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", "application/pdf"),
        (
            "photo.jpg",
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64,
            "image/jpeg",
        ),
        (
            "anim.gif",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,",
            "image/gif",
        ),
        ("figures.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("call notes.txt", "Customer called: the valve is fine now. Merci, Zoë.\n".encode(), "text/plain"),
        ("export.csv", b"date,count\n2026-01-01,3\n", "text/plain"),
    ],
)
def test_allowed_files_are_recognised_by_their_content(name, content, content_type):
    checked = check_upload(upload(name, content))
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("photo.png", HTML, "markup"),
        ("page.html", HTML, "markup"),
        ("logo.svg", SVG, "markup"),
        ("logo.png", SVG, "markup"),
        ("  photo.png", b"\n\n  <SCRIPT>alert(1)</SCRIPT>", "markup"),
        ("notes.txt", b"Please see <iframe src=//evil.example>", "markup"),
        ("photo.png", b"alert(document.cookie); fetch('//evil.example')", "text_name"),
        ("archive.zip", _zip(), "type"),
        ("binary.txt", b"abc\x00def", "type"),
        ("latin1.txt", "caf\xe9 cr\xe8me".encode("latin-1"), "type"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_anything_else_is_refused_whatever_its_name(name, content, reason):
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(name, content, content_type="image/png"))
    assert refused.value.code == reason


def test_a_file_over_the_size_cap_is_refused(settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as refused:
        check_upload(upload("big.txt", b"a" * 1001))
    assert refused.value.code == "too_large"
    assert check_upload(upload("fits.txt", b"a" * 1000)).size == 1000


# --- uploading ----------------------------------------------------------------------------------------------


def test_a_png_is_stored_under_its_hash_with_size_type_and_audit(alpha, login, media):
    item = make_item(alpha)
    content = png_bytes()
    response = _attach(login(alpha.manager), alpha, item, "Customer's <photo>.png", content)
    assert response.status_code == 302
    [attachment] = _attachments(alpha)
    assert attachment.feedback_id == item.pk
    assert (attachment.content_type, attachment.size) == ("image/png", len(content))
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.original_name == "Customer's <photo>.png"
    assert attachment.uploaded_by == alpha.manager
    stored = Path(attachment.file.name)
    assert stored.name == attachment.sha256[:32]
    assert "photo" not in attachment.file.name
    assert (media / stored).read_bytes() == content
    [event] = events(alpha, "feedback.attachment_add")
    assert event.object_id == str(item.pk)


def test_the_file_name_is_sealed_in_the_trail_and_shown_to_members_on_the_timeline(alpha, login, media):
    item = make_item(alpha)
    _attach(login(alpha.manager), alpha, item, "Patel flange leak.png", png_bytes())
    [attachment] = _attachments(alpha)
    with alpha.context():
        [raw] = AuditEvent.objects.filter(organization=alpha.organization, action="feedback.attachment_add")
    assert "flange" not in json.dumps(raw.changes) + raw.object_repr
    assert raw.changes["file"] == [None, f"#{attachment.pk}, image/png, {attachment.size} bytes"]
    for role in ("manager", "auditor"):
        timeline = login(alpha.member(role)).get(url(alpha, "feedback_detail", feedback_id=item.pk)).content.decode()
        assert "Patel flange leak.png" in timeline.split("Timeline", 1)[-1], role


@pytest.mark.parametrize(("name", "content"), [("photo.png", HTML), ("logo.svg", SVG), ("logo.png", SVG)])
def test_html_and_svg_are_refused_with_a_form_error(alpha, login, media, name, content):
    item = make_item(alpha)
    response = _attach(login(alpha.manager), alpha, item, name, content)
    assert response.status_code == 200
    errors = response.context["attachment_form"].errors["file"]
    assert errors == ["HTML, SVG, XML and other markup files cannot be attached."]
    assert _attachments(alpha) == []
    assert list(media.iterdir()) == []


def test_an_oversized_file_is_refused_with_a_form_error(alpha, login, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    item = make_item(alpha)
    response = _attach(login(alpha.manager), alpha, item, "big.png", png_bytes() + b"\x00" * 200)
    assert response.status_code == 200
    assert "larger than" in response.context["attachment_form"].errors["file"][0]
    assert _attachments(alpha) == []


# --- downloading --------------------------------------------------------------------------------------------


@pytest.fixture
def stored(alpha, login, media):
    item = make_item(alpha)
    _attach(login(alpha.manager), alpha, item, "report.html.png", png_bytes())
    [attachment] = _attachments(alpha)
    return item, attachment


def _download(client, tenant, item, attachment):
    return client.get(url(tenant, "attachment_download", feedback_id=item.pk, attachment_id=attachment.pk))


@pytest.mark.parametrize("role", ["owner", "manager", "staff", "auditor"])
def test_members_download_as_an_attachment_with_nosniff(alpha, login, stored, role):
    item, attachment = stored
    response = _download(login(alpha.member(role)), alpha, item, attachment)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="report.html.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()


def test_text_is_served_as_plain_text_under_its_detected_extension(alpha, login, media):
    item = make_item(alpha)
    client = login(alpha.manager)
    _attach(client, alpha, item, "minutes.csv", b"a,b\n1,2\n")
    [attachment] = _attachments(alpha)
    response = _download(client, alpha, item, attachment)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="minutes.csv"'


def test_a_member_of_another_organisation_cannot_download(alpha, bravo, login, stored):
    item, attachment = stored
    assert _download(login(bravo.owner), alpha, item, attachment).status_code == 404


def test_another_organisations_attachment_id_is_not_found_under_mine(alpha, bravo, login, media):
    alpha_item = make_item(alpha)
    bravo_item = make_item(bravo)
    _attach(login(bravo.manager), bravo, bravo_item, "secret.png", png_bytes())
    [bravo_attachment] = _attachments(bravo)
    client = login(alpha.owner)
    assert _download(client, alpha, alpha_item, bravo_attachment).status_code == 404
    assert _download(client, alpha, bravo_item, bravo_attachment).status_code == 404


def test_an_attachment_is_only_found_under_its_own_item(alpha, login, stored):
    _, attachment = stored
    other = make_item(alpha)
    assert _download(login(alpha.owner), alpha, other, attachment).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(alpha, stored):
    item, attachment = stored
    response = _download(Client(), alpha, item, attachment)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
