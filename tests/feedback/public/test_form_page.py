"""The public form page: no account, no JavaScript, labelled fields, the organisation's name and logo."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization
from tests.factories import OrganizationFactory


def test_anyone_can_open_the_form_without_signing_in(alpha, client):
    response = client.get("/p/alpha/feedback/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Send feedback to Alpha Instruments" in content
    assert 'name="message"' in content


def test_an_unknown_organisation_is_not_found(db, client):
    assert client.get("/p/nobody-here/feedback/").status_code == 404
    assert client.post("/p/nobody-here/feedback/", {"message": "hello"}).status_code == 404
    assert client.get("/p/nobody-here/logo").status_code == 404


def test_the_page_needs_no_javascript(alpha, client):
    content = client.get("/p/alpha/feedback/").content.decode()
    assert "<script" not in content
    assert 'method="post"' in content


def test_every_visible_input_has_a_label(alpha, client):
    content = client.get("/p/alpha/feedback/").content.decode()
    ids = re.findall(r'<(?:input|textarea|select)[^>]*\bid="([^"]+)"', content)
    assert len(ids) >= 9
    for input_id in ids:
        assert f'for="{input_id}"' in content, f"no label for #{input_id}"


def test_the_honeypot_is_hidden_from_people_and_screen_readers(alpha, client):
    content = client.get("/p/alpha/feedback/").content.decode()
    honeypot = re.search(r'<div class="hp-field"[^>]*>.*?</div>', content, re.S).group(0)
    assert 'aria-hidden="true"' in honeypot
    assert 'tabindex="-1"' in honeypot
    assert 'name="website"' in honeypot


def test_the_organisations_name_is_escaped(db, client):
    OrganizationFactory(slug="tricky", name='<script>alert("x")</script> & Sons')
    content = client.get("/p/tricky/feedback/").content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons" in content


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (15, 110, 110)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_the_logo_is_served_and_shown_when_the_organisation_has_one(alpha, client, media):
    organization = alpha.organization
    with organization_context(organization):
        organization.logo.save("alpha-logo.png", ContentFile(_png()), save=True)
    response = client.get("/p/alpha/logo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == _png()
    assert 'src="/p/alpha/logo"' in client.get("/p/alpha/feedback/").content.decode()


def test_without_a_logo_there_is_no_image_and_the_logo_url_is_not_found(alpha, client, media):
    assert client.get("/p/alpha/logo").status_code == 404
    assert "/p/alpha/logo" not in client.get("/p/alpha/feedback/").content.decode()


def test_a_logo_whose_file_is_missing_is_not_found(alpha, client, media):
    Organization.objects.filter(pk=alpha.organization.pk).update(logo="logos/gone.png")
    assert client.get("/p/alpha/logo").status_code == 404
