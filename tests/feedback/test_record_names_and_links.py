"""Records are named in human words and linked where they are referred to: a saved view in the audit trail, a
contact on a feedback item's page; retiring a method asks first."""

from django.urls import reverse

from qms.audit.models import AuditEvent
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory, MonitoringMethodFactory


def test_a_saved_view_is_named_in_the_audit_trail_by_its_name(alpha, login):
    create = reverse("feedback:saved_view_create", kwargs={"org_slug": "alpha"})
    login(alpha.manager).post(create, {"name": "Open complaints", "query": "kind=complaint"})
    with alpha.context():
        event = AuditEvent.objects.filter(organization=alpha.organization).latest("seq")
    assert event.object_repr == "Saved view “Open complaints”"


def test_an_item_s_contact_is_a_link_to_the_contact_s_page(alpha, login):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization)
        contact = ContactFactory(customer=customer, name="Tariq Patel")
        item = FeedbackItemFactory(organization=alpha.organization, customer=customer, contact=contact)
    page = login(alpha.staff).get(f"/o/alpha/feedback/{item.pk}/").content.decode()
    contact_url = reverse("customers:contact_detail", kwargs={"org_slug": "alpha", "contact_id": contact.pk})
    assert f'href="{contact_url}">Tariq Patel</a>' in page


def test_retiring_a_method_asks_first(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, name="Trade show chats")
    page = login(alpha.manager).get(f"/o/alpha/methods/{method.pk}/edit/").content.decode()
    assert "Retire “Trade show chats”? It is no longer used or reviewed; its history stays." in page
    assert "Yes, retire it" in page
