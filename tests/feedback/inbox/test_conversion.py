"""The conversion extension point: complaints (a later module) register a handler; until then Convert explains."""

import pytest
from django.core.exceptions import ValidationError

from feedback.conversion import NOT_AVAILABLE, conversions, register_conversion, unregister_conversion
from feedback.models import FeedbackItem
from qms.links.models import Link

from .shortcuts import events, make_item, reload, url

Status = FeedbackItem.Status


@pytest.fixture
def complaints():
    """A stand-in for the complaints module: records each call and returns a complaint reference."""
    calls = []

    def handler(*, feedback, actor):
        calls.append((feedback.pk, actor))
        return f"C-2026-{len(calls):04d}"

    register_conversion("complaint", "Complaint", handler)
    return calls


def _convert(client, tenant, item, target="complaint"):
    return client.post(url(tenant, "feedback_convert", feedback_id=item.pk), {"target": target})


def test_without_a_handler_convert_explains_that_complaints_arrive_later(alpha, login):
    assert conversions() == []
    item = make_item(alpha, kind="concern")
    client = login(alpha.manager)
    assert NOT_AVAILABLE in client.get(url(alpha, "feedback_detail", feedback_id=item.pk)).content.decode()
    response = _convert(client, alpha, item)
    assert response.status_code == 302
    assert NOT_AVAILABLE in client.get(response.url).content.decode()
    item = reload(alpha, item)
    assert (item.status, item.converted_to) == (Status.NEW, "")
    assert events(alpha) == []


def test_a_registered_handler_converts_the_item_which_is_closed_linked_and_audited(alpha, login, complaints):
    item = make_item(alpha, kind="concern", status=Status.IN_PROGRESS)
    client = login(alpha.manager)
    page = client.get(url(alpha, "feedback_detail", feedback_id=item.pk))
    assert page.context["convert_form"].fields["target"].choices == [("complaint", "Complaint")]
    response = _convert(client, alpha, item)
    assert response.status_code == 302
    assert complaints == [(item.pk, alpha.manager)]
    item = reload(alpha, item)
    assert (item.status, item.converted_to) == (Status.CLOSED, "C-2026-0001")
    assert item.closed_at is not None
    assert item.closing_note == "Converted to complaint C-2026-0001."
    with alpha.context():
        [link] = Link.objects.filter(from_type="feedback.feedbackitem", from_id=str(item.pk))
    assert (link.to_type, link.to_id, link.to_label) == ("complaint", "C-2026-0001", "Complaint C-2026-0001")
    [event] = events(alpha, "feedback.convert")
    assert event.actor == alpha.manager
    assert event.changes["status"] == ["in_progress", "closed"]
    assert event.changes["converted_to"] == ["", "C-2026-0001"]
    content = client.get(url(alpha, "feedback_detail", feedback_id=item.pk)).content.decode()
    assert "Complaint C-2026-0001" in content and "It became C-2026-0001" in content


def test_a_converted_item_is_not_reopened(alpha, login, complaints):
    item = make_item(alpha)
    client = login(alpha.manager)
    _convert(client, alpha, item)
    response = client.post(url(alpha, "feedback_reopen", feedback_id=item.pk), follow=True)
    assert "carry on there" in response.content.decode()
    assert reload(alpha, item).status == Status.CLOSED


def test_a_closed_item_is_not_converted(alpha, login, complaints):
    item = make_item(alpha, status=Status.CLOSED, closing_note="Done")
    response = _convert(login(alpha.manager), alpha, item)
    assert response.status_code == 200
    assert complaints == []
    assert reload(alpha, item).converted_to == ""


def test_an_unknown_conversion_is_a_form_error(alpha, login, complaints):
    item = make_item(alpha)
    response = _convert(login(alpha.manager), alpha, item, target="capa")
    assert response.status_code == 200
    assert response.context["convert_form"].errors["target"]
    assert complaints == []


def test_a_handler_that_refuses_leaves_the_item_untouched(alpha, login):
    def refuse(*, feedback, actor):
        raise ValidationError("The complaint register is locked.")

    register_conversion("complaint", "Complaint", refuse)
    item = make_item(alpha)
    response = _convert(login(alpha.manager), alpha, item)
    assert response.status_code == 200
    assert "The complaint register is locked." in response.content.decode()
    item = reload(alpha, item)
    assert (item.status, item.converted_to) == (Status.NEW, "")
    assert events(alpha) == []


def test_staff_convert_only_items_assigned_to_them(alpha, login, complaints):
    item = make_item(alpha, assignee=alpha.manager)
    assert _convert(login(alpha.staff), alpha, item).status_code == 403
    assert complaints == []


def test_handlers_can_be_unregistered(complaints):
    unregister_conversion("complaint")
    assert conversions() == []
