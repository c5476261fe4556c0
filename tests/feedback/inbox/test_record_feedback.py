"""Recording feedback (the form and the feedback_create service) and correcting what was recorded."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from feedback.models import Attachment, FeedbackItem
from feedback.services.inbox import feedback_create
from qms.tenancy.models import Role
from tests.factories import ContactFactory, CustomerFactory

from .shortcuts import events, make_item, png_bytes, reload, upload, url

YEAR = timezone.localdate().year


def _form(**values):
    data = {
        "channel": FeedbackItem.Channel.PHONE,
        "kind": FeedbackItem.Kind.CONCERN,
        "received_on": "2026-03-02",
        "text": "The pump arrived with a cracked housing.",
    }
    data.update(values)
    return data


def _items(tenant):
    with tenant.context():
        return list(FeedbackItem.objects.filter(organization=tenant.organization).order_by("pk"))


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.STAFF])
def test_members_who_write_record_feedback_and_it_gets_the_next_reference(alpha, login, role):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
    contact = ContactFactory(customer=customer, name="Ada Pumpwright")
    client = login(alpha.member(role))
    response = client.post(
        url(alpha, "feedback_create"), _form(customer=customer.pk, contact=contact.pk, product="HP-200 pump")
    )
    [item] = _items(alpha)
    assert response.status_code == 302
    assert response.url == url(alpha, "feedback_detail", feedback_id=item.pk)
    assert item.reference == f"F-{YEAR}-0001"
    assert (item.status, item.channel, item.kind) == ("new", "phone", "concern")
    assert (item.customer_id, item.contact_id, item.product) == (customer.pk, contact.pk, "HP-200 pump")
    assert item.received_on.isoformat() == "2026-03-02"
    assert item.created_by == alpha.member(role)
    [event] = events(alpha, "feedback.create")
    assert event.actor == alpha.member(role)
    assert event.object_type == "feedback.feedbackitem" and event.object_id == str(item.pk)
    assert event.changes["reference"] == [None, item.reference]
    assert event.changes["text"] == [None, "The pump arrived with a cracked housing."]


def test_references_are_numbered_per_organisation(alpha, bravo, login):
    client = login(alpha.manager)
    client.post(url(alpha, "feedback_create"), _form())
    client.post(url(alpha, "feedback_create"), _form())
    login(bravo.manager).post(url(bravo, "feedback_create"), _form())
    assert [i.reference for i in _items(alpha)] == [f"F-{YEAR}-0001", f"F-{YEAR}-0002"]
    assert [i.reference for i in _items(bravo)] == [f"F-{YEAR}-0001"]


def test_the_service_records_a_public_submission_without_an_actor(alpha):
    with alpha.context():
        item = feedback_create(
            organization=alpha.organization,
            actor=None,
            channel=FeedbackItem.Channel.WEB_FORM,
            kind=FeedbackItem.Kind.COMPLIMENT,
            text="Great service",
            submitter_name="Walk-in visitor",
            submitter_email="visitor@example.com",
            source_ip_hash="a" * 64,
        )
    assert item.reference == f"F-{YEAR}-0001"
    assert item.created_by is None
    assert item.received_on == timezone.localdate()
    [event] = events(alpha, "feedback.create")
    assert event.actor is None and event.actor_label == "system"


def test_the_service_refuses_an_unknown_channel_or_kind(alpha):
    with alpha.context(), pytest.raises(ValidationError):
        feedback_create(organization=alpha.organization, actor=None, channel="fax", kind="concern", text="Hi")
    with alpha.context(), pytest.raises(ValidationError):
        feedback_create(organization=alpha.organization, actor=None, channel="phone", kind="rant", text="Hi")
    assert _items(alpha) == []


def test_the_form_lists_only_this_organisations_customers_and_contacts(alpha, bravo, login):
    with alpha.context():
        CustomerFactory(organization=alpha.organization, name="Alpha Customer Co")
    with bravo.context():
        bravo_customer = CustomerFactory(organization=bravo.organization, name="Bravo Customer Co")
    ContactFactory(customer=bravo_customer, name="Bravo Contact Person")
    response = login(alpha.manager).get(url(alpha, "feedback_create"))
    assert response.status_code == 200
    assert b"Alpha Customer Co" in response.content
    assert b"Bravo Customer Co" not in response.content
    assert b"Bravo Contact Person" not in response.content


def test_another_organisations_customer_or_contact_is_refused(alpha, bravo, login):
    with bravo.context():
        bravo_customer = CustomerFactory(organization=bravo.organization)
    bravo_contact = ContactFactory(customer=bravo_customer)
    client = login(alpha.manager)
    assert client.post(url(alpha, "feedback_create"), _form(customer=bravo_customer.pk)).status_code == 200
    assert client.post(url(alpha, "feedback_create"), _form(contact=bravo_contact.pk)).status_code == 200
    assert _items(alpha) == []


def test_a_contact_alone_brings_its_customer(alpha, login):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization)
    contact = ContactFactory(customer=customer)
    login(alpha.staff).post(url(alpha, "feedback_create"), _form(contact=contact.pk))
    [item] = _items(alpha)
    assert item.customer_id == customer.pk


def test_a_contact_of_another_customer_is_refused(alpha, login):
    with alpha.context():
        customer, other = (
            CustomerFactory(organization=alpha.organization),
            CustomerFactory(organization=alpha.organization),
        )
    contact = ContactFactory(customer=other, name="Someone Else")
    response = login(alpha.staff).post(url(alpha, "feedback_create"), _form(customer=customer.pk, contact=contact.pk))
    assert response.status_code == 200
    assert "is not a contact of" in response.content.decode()
    assert _items(alpha) == []


def test_recording_needs_the_text(alpha, login):
    response = login(alpha.staff).post(url(alpha, "feedback_create"), _form(text=""))
    assert response.status_code == 200
    assert response.context["form"].errors["text"]
    assert _items(alpha) == []


def test_an_auditor_cannot_record_feedback(alpha, login):
    client = login(alpha.auditor)
    assert client.get(url(alpha, "feedback_create")).status_code == 403
    assert client.post(url(alpha, "feedback_create"), _form()).status_code == 403
    assert _items(alpha) == []


def test_a_file_can_be_attached_while_recording(alpha, login, media):
    response = login(alpha.staff).post(
        url(alpha, "feedback_create"), _form(attachment=upload("crack.png", png_bytes()))
    )
    assert response.status_code == 302
    [item] = _items(alpha)
    with alpha.context():
        [attachment] = Attachment.objects.filter(feedback=item)
    assert attachment.content_type == "image/png"
    assert [e.action for e in events(alpha)] == ["feedback.create", "feedback.attachment_add"]


def test_a_refused_file_records_nothing(alpha, login, media):
    response = login(alpha.staff).post(
        url(alpha, "feedback_create"), _form(attachment=upload("photo.png", b"<html><script>alert(1)</script>"))
    )
    assert response.status_code == 200
    assert response.context["form"].errors["attachment"]
    assert _items(alpha) == []
    assert events(alpha) == []


def test_a_manager_corrects_what_was_recorded_and_the_change_is_audited(alpha, login):
    item = make_item(alpha, kind=FeedbackItem.Kind.QUESTION, text="Original words", product="Old product")
    data = _form(kind=FeedbackItem.Kind.COMPLAINT, text="Original words", product="HP-300", channel="email")
    response = login(alpha.manager).post(url(alpha, "feedback_edit", feedback_id=item.pk), data)
    assert response.status_code == 302
    item = reload(alpha, item)
    assert (item.kind, item.product) == ("complaint", "HP-300")
    [event] = events(alpha, "feedback.update")
    assert event.actor == alpha.manager
    assert event.changes["kind"] == ["question", "complaint"]
    assert event.changes["product"] == ["Old product", "HP-300"]
    assert "text" not in event.changes


def test_the_edit_form_shows_what_was_recorded(alpha, login):
    item = make_item(alpha, text="Words as recorded")
    response = login(alpha.owner).get(url(alpha, "feedback_edit", feedback_id=item.pk))
    assert response.status_code == 200
    assert b"Words as recorded" in response.content


def test_staff_edit_only_the_items_assigned_to_them(alpha, login):
    theirs = make_item(alpha, assignee=alpha.staff)
    not_theirs = make_item(alpha, assignee=alpha.manager)
    client = login(alpha.staff)
    assert client.get(url(alpha, "feedback_edit", feedback_id=theirs.pk)).status_code == 200
    response = client.post(url(alpha, "feedback_edit", feedback_id=not_theirs.pk), _form(text="Changed"))
    assert response.status_code == 403
    assert "Only a manager or the person this item is assigned to" in response.content.decode()
    assert reload(alpha, not_theirs).text != "Changed"


def test_a_closed_item_cannot_be_edited(alpha, login):
    item = make_item(alpha, status=FeedbackItem.Status.CLOSED, closing_note="Done", text="Kept")
    client = login(alpha.manager)
    response = client.post(url(alpha, "feedback_edit", feedback_id=item.pk), _form(text="Changed"))
    assert response.status_code == 302
    assert reload(alpha, item).text == "Kept"
    assert events(alpha, "feedback.update") == []
