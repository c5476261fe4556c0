"""Organisation settings: the owner renames the organisation and sets the logo shown on public forms."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from qms.audit.models import AuditEvent
from qms.tenancy.models import Organization


def _png(size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _post(client, **data):
    return client.post(
        "/o/alpha/settings/", {"name": "Alpha Instruments", "time_zone": "Europe/London", "language": "en-gb", **data}
    )


def test_the_owner_renames_the_organisation_and_it_is_audited(alpha, login):
    response = _post(login(alpha.owner), name="Alpha Instruments Group")
    assert response.status_code == 302
    assert Organization.objects.get(pk=alpha.organization.pk).name == "Alpha Instruments Group"
    with alpha.context():
        event = AuditEvent.objects.filter(organization=alpha.organization, action="organization.update").get()
    assert event.changes == {"name": ["Alpha Instruments", "Alpha Instruments Group"]}


def test_the_owner_uploads_a_png_logo(alpha, login):
    response = _post(login(alpha.owner), logo=SimpleUploadedFile("brand.png", _png(), content_type="image/png"))
    assert response.status_code == 302
    organization = Organization.objects.get(pk=alpha.organization.pk)
    assert organization.logo.name.endswith(".png")
    assert organization.logo.read() == _png()


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(alpha, login):
    fake = SimpleUploadedFile("brand.png", b"<svg onload=alert(1)></svg>", content_type="image/png")
    response = _post(login(alpha.owner), logo=fake)
    assert response.status_code == 200
    assert "not a PNG or JPEG image" in response.content.decode()
    assert not Organization.objects.get(pk=alpha.organization.pk).logo


def test_a_gif_is_refused(alpha, login):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="GIF")
    response = _post(login(alpha.owner), logo=SimpleUploadedFile("brand.gif", buffer.getvalue()))
    assert "must be a PNG or JPEG" in response.content.decode()


def test_the_owner_removes_the_logo(alpha, login):
    client = login(alpha.owner)
    _post(client, logo=SimpleUploadedFile("brand.png", _png()))
    _post(client, remove_logo="on")
    assert not Organization.objects.get(pk=alpha.organization.pk).logo


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_only_the_owner_changes_settings(alpha, login, role):
    response = _post(login(alpha.member(role)), name="Hijacked")
    assert response.status_code == 403
    assert Organization.objects.get(pk=alpha.organization.pk).name == "Alpha Instruments"


def test_staff_cannot_open_settings(alpha, login):
    assert login(alpha.staff).get("/o/alpha/settings/").status_code == 403
