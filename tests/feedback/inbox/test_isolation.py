"""Every inbox route that names an object answers 404 for another organisation's object, and changes nothing."""

import pytest

from feedback.models import Attachment, FeedbackItem
from tests.factories import SavedViewFactory

from .shortcuts import events, make_item, png_bytes, upload, url

ITEM_ROUTES = {
    "feedback_detail": ("GET",),
    "feedback_edit": ("GET", "POST"),
    "feedback_triage": ("POST",),
    "feedback_link": ("POST",),
    "feedback_convert": ("POST",),
    "feedback_close": ("POST",),
    "feedback_reopen": ("POST",),
    "attachment_upload": ("POST",),
}
BODY = {"note": "x", "sentiment": "negative", "assignee": "", "new_themes": "Leaked", "reference": "F-1", "text": "x"}


@pytest.fixture
def bravo_item(bravo, login, media):
    item = make_item(bravo, text="Bravo's private feedback")
    login(bravo.manager).post(
        url(bravo, "attachment_upload", feedback_id=item.pk), {"file": upload("bravo.png", png_bytes())}
    )
    return item


def _bravo_state(bravo):
    with bravo.context():
        item = FeedbackItem.objects.get(organization=bravo.organization)
        return item.status, item.assignee_id, item.sentiment, item.text, len(events(bravo))


@pytest.mark.parametrize("name", sorted(ITEM_ROUTES))
@pytest.mark.parametrize("slug", ["alpha", "bravo"])
def test_another_organisations_item_is_not_found(alpha, bravo, login, bravo_item, name, slug):
    client = login(alpha.owner)
    before = _bravo_state(bravo)
    tenant = alpha if slug == "alpha" else bravo
    path = url(tenant, name, feedback_id=bravo_item.pk)
    for method in ITEM_ROUTES[name]:
        response = client.get(path) if method == "GET" else client.post(path, BODY)
        assert response.status_code == 404, f"{method} {path}"
        assert b"Bravo" not in response.content
    assert _bravo_state(bravo) == before


def test_another_organisations_attachment_is_not_found(alpha, bravo, login, bravo_item):
    with bravo.context():
        attachment = Attachment.objects.get(feedback=bravo_item)
    client = login(alpha.owner)
    for tenant in (alpha, bravo):
        path = url(tenant, "attachment_download", feedback_id=bravo_item.pk, attachment_id=attachment.pk)
        assert client.get(path).status_code == 404


def test_another_organisations_saved_view_cannot_be_deleted(alpha, bravo, login):
    view = SavedViewFactory(organization=bravo.organization, owner=bravo.owner)
    client = login(alpha.owner)
    for tenant in (alpha, bravo):
        assert client.post(url(tenant, "saved_view_delete", view_id=view.pk)).status_code == 404
