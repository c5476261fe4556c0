"""/api/v1/o/<slug>/customers/: list, filter, create, retrieve and partially update; every write audited."""

import pytest

from customers.models import Customer
from tests.api_client import events, results
from tests.factories import ContactFactory, CustomerFactory


def customers_of(tenant):
    with tenant.context():
        return list(Customer.objects.filter(organization=tenant.organization).order_by("pk"))


def test_the_list_holds_only_my_organisations_customers(alpha, bravo, api):
    CustomerFactory(organization=alpha.organization, name="Alpha Client")
    CustomerFactory(organization=bravo.organization, name="Bravo Client")
    names = [c["name"] for c in results(api(alpha, "auditor").get("customers/"))]
    assert names == ["Alpha Client"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"search": "acme"}, {"Acme Tools"}),
        ({"search": "CRM-77"}, {"Zenith Farms"}),
        ({"segment": "retail"}, {"Acme Tools"}),
        ({"region": "South"}, {"Zenith Farms"}),
        ({"kind": "person"}, {"Jo Bloggs"}),
        ({"external_ref": "CRM-7701"}, {"Zenith Farms"}),
    ],
)
def test_the_list_filters(alpha, api, query, expected):
    CustomerFactory(organization=alpha.organization, name="Acme Tools", segment="Retail", region="North")
    CustomerFactory(organization=alpha.organization, name="Zenith Farms", region="South", external_ref="CRM-7701")
    CustomerFactory(organization=alpha.organization, name="Jo Bloggs", kind="person", segment="Consumer")
    assert {c["name"] for c in results(api(alpha, "staff").get("customers/", query))} == expected


def test_an_unknown_kind_filter_is_a_400(alpha, api):
    assert api(alpha, "staff").get("customers/", {"kind": "martian"}).status_code == 400


@pytest.mark.parametrize("role", ["owner", "manager", "staff"])
def test_a_writer_creates_a_customer_and_it_is_audited(alpha, api, role):
    response = api(alpha, role).post(
        "customers/",
        {"name": "Northwind", "segment": "Wholesale", "external_ref": "CRM-1", "account_owner": alpha.staff.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    [customer] = customers_of(alpha)
    assert body["id"] == customer.pk
    assert (customer.name, customer.segment, customer.external_ref, customer.account_owner) == (
        "Northwind",
        "Wholesale",
        "CRM-1",
        alpha.staff,
    )
    [event] = events(alpha, "customer.create")
    assert (event.object_id, event.actor_id) == (str(customer.pk), alpha.member(role).pk)


def test_a_duplicate_external_reference_is_a_400(alpha, api):
    CustomerFactory(organization=alpha.organization, external_ref="CRM-1")
    response = api(alpha, "manager").post("customers/", {"name": "Copy", "external_ref": "CRM-1"})
    assert response.status_code == 400
    assert "external_ref" in response.json()
    assert len(customers_of(alpha)) == 1


def test_an_account_owner_from_another_organisation_is_a_400(alpha, bravo, api):
    response = api(alpha, "manager").post("customers/", {"name": "Northwind", "account_owner": bravo.manager.pk})
    assert response.status_code == 400
    assert response.json()["account_owner"] == [f"No member with id {bravo.manager.pk} in this organisation."]
    assert customers_of(alpha) == []


def test_a_missing_name_is_a_400(alpha, api):
    response = api(alpha, "manager").post("customers/", {"segment": "Retail"})
    assert response.status_code == 400
    assert "name" in response.json()


def test_retrieve_and_partial_update_audits_only_the_change(alpha, api):
    customer = CustomerFactory(organization=alpha.organization, name="Acme", region="North")
    client = api(alpha, "staff")
    assert client.get(f"customers/{customer.pk}/").json()["name"] == "Acme"
    response = client.patch(f"customers/{customer.pk}/", {"region": "East"})
    assert response.status_code == 200, response.content
    assert response.json()["region"] == "East"
    [updated] = customers_of(alpha)
    assert (updated.name, updated.region, updated.segment) == ("Acme", "East", customer.segment)
    [event] = events(alpha, "customer.update")
    assert event.changes == {"region": ["North", "East"]}


def test_archiving_through_the_api(alpha, api):
    customer = CustomerFactory(organization=alpha.organization)
    response = api(alpha, "manager").patch(f"customers/{customer.pk}/", {"archived": True})
    assert response.json()["archived_at"] is not None


def test_put_is_not_offered(alpha, api):
    customer = CustomerFactory(organization=alpha.organization)
    assert api(alpha, "manager").put(f"customers/{customer.pk}/", {"name": "X"}).status_code == 405


def test_another_organisations_customer_is_not_found(alpha, bravo, api):
    theirs = CustomerFactory(organization=bravo.organization, name="Bravo Client")
    client = api(alpha, "owner")
    assert client.get(f"customers/{theirs.pk}/").status_code == 404
    assert client.patch(f"customers/{theirs.pk}/", {"name": "Taken"}).status_code == 404
    assert client.get("customers/", slug="bravo").status_code in (401, 404)
    assert customers_of(bravo)[0].name == "Bravo Client"


def test_an_auditor_cannot_write(alpha, api):
    customer = CustomerFactory(organization=alpha.organization, name="Acme")
    client = api(alpha, "auditor")
    assert client.post("customers/", {"name": "New"}).status_code == 403
    assert client.patch(f"customers/{customer.pk}/", {"name": "Changed"}).status_code == 403
    assert [c.name for c in customers_of(alpha)] == ["Acme"]


@pytest.mark.parametrize("term", ["Hartwell", "CRM-77", "ada@hartwell.example", "Ada Lovelace"])
def test_the_api_searches_the_same_fields_as_the_customer_page(alpha, api, login, term):
    customer = CustomerFactory(organization=alpha.organization, name="Hartwell Engineering", external_ref="CRM-77")
    ContactFactory(customer=customer, name="Ada Lovelace", email="ada@hartwell.example")
    CustomerFactory(organization=alpha.organization, name="Calder Pumps")
    found = [row["name"] for row in results(api(alpha, "staff").get("customers/", {"search": term}))]
    page = login(alpha.staff).get("/o/alpha/customers/", {"q": term})
    assert found == ["Hartwell Engineering"]
    assert [c.name for c in page.context["page"].object_list] == found
