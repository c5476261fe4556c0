"""/api/v1/o/<slug>/feedback/: list, filter, create (channel "api"), retrieve and partially update; all audited."""

from datetime import date

import pytest

from feedback.models import FeedbackItem
from tests.api_client import events, results
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory, FeedbackThemeFactory


def items_of(tenant):
    with tenant.context():
        return list(FeedbackItem.objects.filter(organization=tenant.organization).order_by("pk"))


def fresh(tenant, item):
    with tenant.context():
        return FeedbackItem.objects.get(pk=item.pk)


def test_the_list_holds_only_my_organisations_feedback(alpha, bravo, api):
    FeedbackItemFactory(organization=alpha.organization, text="Alpha words")
    FeedbackItemFactory(organization=bravo.organization, text="Bravo words")
    assert [f["text"] for f in results(api(alpha, "auditor").get("feedback/"))] == ["Alpha words"]


def test_the_list_filters(alpha, api):
    acme = CustomerFactory(organization=alpha.organization)
    a = FeedbackItemFactory(
        organization=alpha.organization, kind="complaint", channel="phone", customer=acme, received_on=date(2026, 1, 5)
    )
    b = FeedbackItemFactory(
        organization=alpha.organization, status="closed", assignee=alpha.staff, received_on=date(2026, 2, 5)
    )
    c = FeedbackItemFactory(organization=alpha.organization, channel="web_form", received_on=date(2026, 3, 5))
    theme_id = FeedbackThemeFactory(feedback=c, theme__name="Delivery").theme_id
    client = api(alpha, "staff")

    def refs(query):
        return {f["reference"] for f in results(client.get("feedback/", query))}

    assert refs({"kind": "complaint"}) == {a.reference}
    assert refs({"status": "closed"}) == {b.reference}
    assert refs({"channel": "web_form"}) == {c.reference}
    assert refs({"customer": acme.pk}) == {a.reference}
    assert refs({"assignee": alpha.staff.pk}) == {b.reference}
    assert refs({"received_from": "2026-02-01"}) == {b.reference, c.reference}
    assert refs({"received_to": "2026-02-28"}) == {a.reference, b.reference}
    assert refs({"received_from": "2026-02-01", "received_to": "2026-02-28"}) == {b.reference}
    assert refs({"theme": theme_id}) == {c.reference}
    assert [f["themes"] for f in results(client.get("feedback/", {"theme": theme_id}))] == [["Delivery"]]


def test_staff_record_feedback_through_the_api_with_channel_api(alpha, api):
    acme = CustomerFactory(organization=alpha.organization)
    contact = ContactFactory(customer=acme)
    response = api(alpha, "staff").post(
        "feedback/", {"kind": "question", "text": "Is there a spare-parts list?", "contact": contact.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    [item] = items_of(alpha)
    assert body["reference"] == item.reference and item.reference.startswith("F-")
    assert (item.channel, item.kind, item.contact_id, item.customer_id, item.created_by_id) == (
        "api",
        "question",
        contact.pk,
        acme.pk,
        alpha.staff.pk,
    )
    [event] = events(alpha, "feedback.create")
    assert (event.object_id, event.actor_id) == (str(item.pk), alpha.staff.pk)


def test_a_channel_can_be_named(alpha, api):
    response = api(alpha, "staff").post("feedback/", {"kind": "compliment", "text": "Great", "channel": "phone"})
    assert response.json()["channel"] == "phone"


@pytest.mark.parametrize("field", ["customer", "contact"])
def test_another_organisations_customer_or_contact_is_a_400(alpha, bravo, api, field):
    theirs = {"customer": CustomerFactory, "contact": ContactFactory}[field]
    row = (
        theirs(organization=bravo.organization)
        if field == "customer"
        else theirs(customer__organization=bravo.organization)
    )
    response = api(alpha, "staff").post("feedback/", {"kind": "question", "text": "Hi", field: row.pk})
    assert response.status_code == 400
    assert response.json() == {field: [f"No {field} with id {row.pk} in this organisation."]}
    assert items_of(alpha) == [] and items_of(bravo) == []


def test_a_contact_of_another_customer_is_a_400(alpha, api):
    acme, zenith = (CustomerFactory(organization=alpha.organization) for _ in range(2))
    contact = ContactFactory(customer=zenith)
    response = api(alpha, "staff").post(
        "feedback/", {"kind": "question", "text": "Hi", "customer": acme.pk, "contact": contact.pk}
    )
    assert response.status_code == 400
    assert "contact" in response.json()
    assert items_of(alpha) == []


@pytest.mark.parametrize(
    "body",
    [
        {"text": "No kind"},
        {"kind": "question"},
        {"kind": "rant", "text": "x"},
        {"kind": "question", "text": "x", "channel": "fax"},
    ],
)
def test_an_invalid_body_is_a_400(alpha, api, body):
    assert api(alpha, "staff").post("feedback/", body).status_code == 400
    assert items_of(alpha) == []


def test_a_manager_corrects_safe_fields_and_each_change_is_audited(alpha, api):
    item = FeedbackItemFactory(organization=alpha.organization, kind="question", text="Old text", product="")
    response = api(alpha, "manager").patch(
        f"feedback/{item.pk}/", {"kind": "complaint", "text": "New text", "product": "Gearbox", "sentiment": "negative"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["sentiment"] == "negative"
    item = fresh(alpha, item)
    assert (item.kind, item.text, item.product, item.sentiment) == ("complaint", "New text", "Gearbox", "negative")
    [update] = events(alpha, "feedback.update")
    assert update.changes == {
        "kind": ["question", "complaint"],
        "product": ["", "Gearbox"],
        "text": ["Old text", "New text"],
    }
    [sentiment] = events(alpha, "feedback.sentiment")
    assert sentiment.changes["sentiment"] == ["", "negative"]


def test_unsafe_fields_are_not_changed_by_a_patch(alpha, api):
    item = FeedbackItemFactory(organization=alpha.organization, status="new", channel="email")
    api(alpha, "manager").patch(f"feedback/{item.pk}/", {"status": "closed", "channel": "api", "reference": "X-1"})
    item2 = fresh(alpha, item)
    assert (item2.status, item2.channel, item2.reference) == ("new", "email", item.reference)


def test_linking_to_another_organisations_customer_by_patch_is_a_400(alpha, bravo, api):
    item = FeedbackItemFactory(organization=alpha.organization)
    theirs = CustomerFactory(organization=bravo.organization)
    response = api(alpha, "manager").patch(f"feedback/{item.pk}/", {"customer": theirs.pk})
    assert response.status_code == 400
    assert fresh(alpha, item).customer_id is None


def test_staff_change_only_items_assigned_to_them(alpha, api):
    theirs = FeedbackItemFactory(organization=alpha.organization, kind="question")
    mine = FeedbackItemFactory(organization=alpha.organization, kind="question", assignee=alpha.staff)
    client = api(alpha, "staff")
    assert client.patch(f"feedback/{theirs.pk}/", {"kind": "concern"}).status_code == 403
    assert client.patch(f"feedback/{mine.pk}/", {"kind": "concern"}).status_code == 200
    assert (fresh(alpha, theirs).kind, fresh(alpha, mine).kind) == ("question", "concern")


def test_a_closed_item_is_a_400(alpha, api):
    item = FeedbackItemFactory(organization=alpha.organization, status="closed", kind="question")
    response = api(alpha, "manager").patch(f"feedback/{item.pk}/", {"kind": "concern", "sentiment": "neutral"})
    assert response.status_code == 400
    item = fresh(alpha, item)
    assert (item.kind, item.sentiment) == ("question", "")


def test_another_organisations_item_is_not_found(alpha, bravo, api):
    theirs = FeedbackItemFactory(organization=bravo.organization, text="Bravo words")
    client = api(alpha, "owner")
    assert client.get(f"feedback/{theirs.pk}/").status_code == 404
    assert client.patch(f"feedback/{theirs.pk}/", {"text": "Mine"}).status_code == 404
    assert fresh(bravo, theirs).text == "Bravo words"


def test_an_auditor_cannot_write(alpha, api):
    item = FeedbackItemFactory(organization=alpha.organization, text="Kept")
    client = api(alpha, "auditor")
    assert client.post("feedback/", {"kind": "question", "text": "New"}).status_code == 403
    assert client.patch(f"feedback/{item.pk}/", {"text": "Changed"}).status_code == 403
    assert [i.text for i in items_of(alpha)] == ["Kept"]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "question", "text": "Hi", "customer": 10**30},
        {"kind": "question", "text": "Hi", "contact": "1; drop table"},
        {"kind": "question", "text": "Hi", "submitter_email": "a" * 250 + "@example.com"},
        {"kind": "question", "text": "Hi\x00"},
    ],
)
def test_odd_input_is_a_400_not_a_500(alpha, api, body):
    assert api(alpha, "staff").post("feedback/", body).status_code == 400
    assert items_of(alpha) == []


def test_a_body_that_is_not_json_is_a_400(alpha, api):
    client = api(alpha, "staff")
    response = client.client.post(
        client.url("feedback/"), "{not json", content_type="application/json", headers=client.headers
    )
    assert response.status_code == 400


@pytest.mark.parametrize("query", [{"customer": 10**30}, {"theme": "x"}, {"received_from": "yesterday"}])
def test_odd_filters_are_a_400_or_empty_never_a_500(alpha, api, query):
    FeedbackItemFactory(organization=alpha.organization)
    response = api(alpha, "staff").get("feedback/", query)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []


def test_an_item_says_which_transitions_the_tokens_member_may_make_now(alpha, api):
    mine = FeedbackItemFactory(organization=alpha.organization, assignee=alpha.staff, status="in_progress")
    theirs = FeedbackItemFactory(organization=alpha.organization, status="closed")
    assert api(alpha, "staff").get(f"feedback/{mine.pk}/").json()["transitions"] == ["close"]
    assert api(alpha, "staff").get(f"feedback/{theirs.pk}/").json()["transitions"] == []  # not assigned to them
    assert api(alpha, "manager").get(f"feedback/{theirs.pk}/").json()["transitions"] == ["reopen"]
    assert api(alpha, "auditor").get(f"feedback/{mine.pk}/").json()["transitions"] == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"status": "open"}, {"NEW", "MINE"}), ({"assignee": "me"}, {"MINE"}), ({"assignee": "unassigned"}, {"NEW"})],
)
def test_the_api_and_the_inbox_take_the_same_filters_and_agree(alpha, api, login, params, expected):
    FeedbackItemFactory(organization=alpha.organization, reference="NEW")
    FeedbackItemFactory(organization=alpha.organization, reference="MINE", assignee=alpha.manager)
    FeedbackItemFactory(organization=alpha.organization, reference="DONE", status="closed", assignee=alpha.staff)
    listed = {row["reference"] for row in results(api(alpha, "manager").get("feedback/", params))}
    page = login(alpha.manager).get("/o/alpha/feedback/", params)
    assert listed == expected
    assert {item.reference for item in page.context["page"].object_list} == expected
