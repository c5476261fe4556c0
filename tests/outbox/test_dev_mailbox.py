"""Without EMAIL_URL, mail lands as .eml files that /dev/mailbox/ lists and shows; only under DEBUG."""

import re

import pytest
from django.db import transaction

from qms.accounts.services import invitation_create
from qms.outbox.models import OutboxMessage
from qms.outbox.services import outbox_deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "qms.outbox.backends.MailboxBackend"
    settings.EMAIL_MAILBOX_DIR = str(tmp_path)
    settings.DEBUG = True
    return tmp_path


@pytest.fixture
def delivered_invitation(alpha, mailbox) -> OutboxMessage:
    """An invitation email delivered through the outbox into the local mailbox."""
    with transaction.atomic(), alpha.context():
        invitation_create(organization=alpha.organization, actor=alpha.owner, email="new@example.com", role="staff")
        message = OutboxMessage.objects.get(organization=alpha.organization, to_email="new@example.com")
        assert outbox_deliver(message_id=message.pk) == "sent"
    return message


def test_the_mailbox_backend_writes_one_eml_file_per_message(delivered_invitation, mailbox):
    (eml,) = mailbox.glob("*.eml")
    content = eml.read_text()
    assert f"Message-ID: {delivered_invitation.message_id}" in content
    assert "To: new@example.com" in content


def test_the_dev_mailbox_lists_messages_and_shows_one_with_its_link_clickable(client, delivered_invitation, mailbox):
    (eml,) = mailbox.glob("*.eml")
    accept_url = re.search(r"https?://\S+/i/\S+/", delivered_invitation.body_text).group(0)

    listing = client.get("/dev/mailbox/")
    assert listing.status_code == 200
    assert delivered_invitation.subject in listing.content.decode()
    assert f'href="/dev/mailbox/{eml.name}/"' in listing.content.decode()

    shown = client.get(f"/dev/mailbox/{eml.name}/")
    assert shown.status_code == 200
    page = shown.content.decode()
    assert delivered_invitation.subject in page
    assert "new@example.com" in page
    assert f'<a href="{accept_url}"' in page


def test_the_dev_mailbox_shows_only_eml_files_of_its_own_folder(client, mailbox):
    (mailbox / "notes.txt").write_text("not an email")
    (mailbox.parent / "outside.eml").write_text("Subject: outside\n\nsecret\n")

    assert client.get("/dev/mailbox/notes.txt/").status_code == 404
    assert client.get("/dev/mailbox/missing.eml/").status_code == 404
    assert client.get("/dev/mailbox/..%2Foutside.eml/").status_code == 404


def test_without_debug_the_dev_mailbox_answers_404(client, delivered_invitation, mailbox, settings):
    (eml,) = mailbox.glob("*.eml")
    settings.DEBUG = False

    assert client.get("/dev/mailbox/").status_code == 404
    assert client.get(f"/dev/mailbox/{eml.name}/").status_code == 404
    assert client.get(f"/dev/mailbox/{eml.name}/html").status_code == 404


def test_the_dev_mailbox_frames_an_emails_html_as_its_own_document_that_runs_nothing(
    client, delivered_invitation, mailbox
):
    (eml,) = mailbox.glob("*.eml")
    page = client.get(f"/dev/mailbox/{eml.name}/").content.decode()
    assert f'src="/dev/mailbox/{eml.name}/html"' in page
    assert "srcdoc" not in page

    document = client.get(f"/dev/mailbox/{eml.name}/html")
    assert document.status_code == 200
    assert delivered_invitation.body_html in document.content.decode()
    assert document["X-Frame-Options"] == "SAMEORIGIN"
    policy = dict(part.strip().split(" ", 1) for part in document["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"  # no script, no request
    assert policy["style-src"] == "'unsafe-inline'"  # an email's styles are inline, for mail clients
    assert policy["frame-ancestors"] == "'self'"
    assert policy["form-action"] == "'none'"
