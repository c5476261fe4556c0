"""Customers: who may see, add and edit them, what is audited, and that another organisation's never show."""

import pytest
from django.utils import timezone

from customers.models import Customer
from customers.services.customers import DUPLICATE_REF
from qms.audit.models import AuditEvent
from qms.tenancy.models import Role
from tests.factories import ContactFactory, CustomerFactory, MembershipFactory, UserFactory

from .conftest import customers, url


def _events(tenant, action):
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization, action=action).order_by("seq"))


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.STAFF, Role.AUDITOR])
def test_every_member_reads_the_directory_and_a_customer(alpha, login, role):
    customer = CustomerFactory(organization=alpha.organization, name="Northwind Traders")
    ContactFactory(customer=customer, name="Nancy Davolio")
    client = login(alpha.member(role))
    assert b"Northwind Traders" in client.get(url("customer_list", alpha)).content
    detail = client.get(url("customer_detail", alpha, customer_id=customer.pk))
    assert detail.status_code == 200
    assert b"Nancy Davolio" in detail.content


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.STAFF])
def test_owners_managers_and_staff_add_a_customer_and_it_is_audited(alpha, login, role):
    response = login(alpha.member(role)).post(
        url("customer_create", alpha),
        {"name": "  Contoso Ltd ", "kind": "organisation", "segment": "Retail", "external_ref": "CRM-7"},
    )
    (customer,) = customers(alpha)
    assert response.status_code == 302
    assert response["Location"] == url("customer_detail", alpha, customer_id=customer.pk)
    assert (customer.name, customer.segment, customer.external_ref) == ("Contoso Ltd", "Retail", "CRM-7")
    (event,) = _events(alpha, "customer.create")
    assert event.actor == alpha.member(role)
    assert event.changes["name"] == [None, "Contoso Ltd"]
    assert "region" not in event.changes  # empty on creation: nothing changed


def test_an_auditor_can_neither_open_nor_post_the_customer_form(alpha, login):
    client = login(alpha.auditor)
    assert client.get(url("customer_create", alpha)).status_code == 403
    assert client.post(url("customer_create", alpha), {"name": "Sneaky", "kind": "person"}).status_code == 403
    customer = CustomerFactory(organization=alpha.organization)
    assert client.get(url("customer_edit", alpha, customer_id=customer.pk)).status_code == 403
    assert [c.name for c in customers(alpha)] == [customer.name]


def test_the_detail_page_offers_editing_only_to_those_who_may_edit(alpha, login):
    customer = CustomerFactory(organization=alpha.organization)
    edit_link = url("customer_edit", alpha, customer_id=customer.pk).encode()
    assert edit_link in login(alpha.staff).get(url("customer_detail", alpha, customer_id=customer.pk)).content
    assert edit_link not in login(alpha.auditor).get(url("customer_detail", alpha, customer_id=customer.pk)).content


def test_editing_records_only_the_fields_that_changed(alpha, login):
    customer = CustomerFactory(organization=alpha.organization, name="Fabrikam", segment="Retail", region="North")
    response = login(alpha.manager).post(
        url("customer_edit", alpha, customer_id=customer.pk),
        {
            "name": "Fabrikam",
            "kind": "organisation",
            "segment": "Industrial",
            "region": "North",
            "external_ref": customer.external_ref,
            "account_owner": alpha.staff.pk,
        },
    )
    assert response.status_code == 302
    (event,) = _events(alpha, "customer.update")
    assert event.changes == {"segment": ["Retail", "Industrial"], "account_owner": [None, "staff@alpha.test"]}
    (saved,) = customers(alpha)
    assert (saved.segment, saved.account_owner) == ("Industrial", alpha.staff)


def test_saving_an_unchanged_customer_writes_no_event(alpha, login):
    customer = CustomerFactory(organization=alpha.organization, name="Fabrikam", segment="Retail", region="North")
    form = {
        "name": "Fabrikam",
        "kind": customer.kind,
        "segment": "Retail",
        "region": "North",
        "external_ref": customer.external_ref,
    }
    assert login(alpha.manager).post(url("customer_edit", alpha, customer_id=customer.pk), form).status_code == 302
    assert _events(alpha, "customer.update") == []


def test_archiving_hides_a_customer_until_archived_ones_are_asked_for(alpha, login):
    customer = CustomerFactory(organization=alpha.organization, name="Old Customer Ltd")
    client = login(alpha.manager)
    form = {"name": customer.name, "kind": customer.kind, "segment": customer.segment, "region": customer.region}
    form.update(external_ref=customer.external_ref, archived="on")
    client.post(url("customer_edit", alpha, customer_id=customer.pk), form, follow=True)  # the message is shown
    assert customers(alpha)[0].archived_at is not None
    assert b"Old Customer Ltd" not in client.get(url("customer_list", alpha)).content
    assert b"Old Customer Ltd" in client.get(url("customer_list", alpha), {"archived": "archived"}).content
    (event,) = _events(alpha, "customer.update")
    assert list(event.changes) == ["archived_at"]


def test_a_second_customer_with_the_same_external_reference_is_a_form_error(alpha, login):
    CustomerFactory(organization=alpha.organization, external_ref="CRM-1")
    response = login(alpha.manager).post(
        url("customer_create", alpha), {"name": "Copycat", "kind": "organisation", "external_ref": "CRM-1"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["external_ref"] == [DUPLICATE_REF]
    assert len(customers(alpha)) == 1


def test_the_same_external_reference_in_another_organisation_is_fine(alpha, bravo, login):
    CustomerFactory(organization=bravo.organization, external_ref="CRM-1")
    response = login(alpha.manager).post(
        url("customer_create", alpha), {"name": "Alpha's own", "kind": "organisation", "external_ref": "CRM-1"}
    )
    assert response.status_code == 302


def test_account_owner_choices_list_only_this_organisations_owners_managers_and_staff(alpha, bravo, login):
    left = UserFactory(email="left@alpha.test")
    MembershipFactory(organization=alpha.organization, user=left, role=Role.STAFF, removed_at=timezone.now())
    response = login(alpha.manager).get(url("customer_create", alpha))
    with alpha.context():  # the queryset is read again here, outside the request
        choices = {user.email for user in response.context["form"].fields["account_owner"].queryset}
    assert choices == {"owner@alpha.test", "manager@alpha.test", "staff@alpha.test"}
    assert b"bravo.test" not in response.content


def test_an_account_owner_from_another_organisation_is_refused(alpha, bravo, login):
    response = login(alpha.manager).post(
        url("customer_create", alpha), {"name": "Smuggled", "kind": "organisation", "account_owner": bravo.manager.pk}
    )
    assert response.status_code == 200
    assert "account_owner" in response.context["form"].errors
    assert customers(alpha) == []


def test_an_auditor_cannot_be_made_account_owner(alpha, login):
    response = login(alpha.manager).post(
        url("customer_create", alpha), {"name": "Audited", "kind": "organisation", "account_owner": alpha.auditor.pk}
    )
    assert "account_owner" in response.context["form"].errors
    assert customers(alpha) == []


def test_another_organisations_customer_is_not_found(alpha, bravo, login):
    theirs = CustomerFactory(organization=bravo.organization, name="Bravo Confidential")
    client = login(alpha.owner)
    for name in ("customer_detail", "customer_edit", "contact_create"):
        assert client.get(url(name, alpha, customer_id=theirs.pk)).status_code == 404
        assert client.get(url(name, bravo, customer_id=theirs.pk)).status_code == 404
    response = client.post(url("customer_edit", alpha, customer_id=theirs.pk), {"name": "Hijacked", "kind": "person"})
    assert response.status_code == 404
    with bravo.context():
        assert Customer.objects.get(pk=theirs.pk).name == "Bravo Confidential"


def test_free_text_is_escaped_on_the_pages(alpha, login):
    customer = CustomerFactory(organization=alpha.organization, name="<script>alert('x')</script>", notes="<b>hi</b>")
    ContactFactory(customer=customer, name="<img src=x onerror=alert(1)>")
    client = login(alpha.staff)
    for page in (url("customer_list", alpha), url("customer_detail", alpha, customer_id=customer.pk)):
        content = client.get(page).content
        assert b"<script>alert" not in content and b"<img src=x" not in content
        assert b"&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in content
