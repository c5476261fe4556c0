"""The inbox list: filters, full-text search, saved views, CSV export, escaping and a constant number of queries."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackItem, SavedView
from tests.conftest import IS_POSTGRES
from tests.factories import ContactFactory, CustomerFactory, FeedbackThemeFactory, SavedViewFactory, ThemeFactory

from .shortcuts import erase_contact, events, make_item, url

Status = FeedbackItem.Status


def _refs(response) -> list[str]:
    assert response.status_code == 200
    return sorted(item.reference for item in response.context["page"].object_list)


def _csv(response) -> list[list[str]]:
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def inbox(alpha, login):
    client = login(alpha.manager)
    return lambda **params: client.get(url(alpha, "inbox"), params)


# --- filters ------------------------------------------------------------------------------------------------


def test_the_inbox_lists_this_organisations_feedback_only(alpha, bravo, inbox):
    make_item(alpha, reference="F-2026-0001", text="Alpha words")
    make_item(bravo, reference="F-2026-0002", text="Bravo words")
    response = inbox()
    assert _refs(response) == ["F-2026-0001"]
    assert b"Bravo words" not in response.content


@pytest.mark.parametrize(
    ("status", "expected"),
    [("new", ["A"]), ("in_progress", ["B"]), ("closed", ["C"]), ("open", ["A", "B"]), ("", ["A", "B", "C"])],
)
def test_it_filters_by_status(alpha, inbox, status, expected):
    for reference, value in (("A", Status.NEW), ("B", Status.IN_PROGRESS), ("C", Status.CLOSED)):
        make_item(alpha, reference=reference, status=value)
    assert _refs(inbox(status=status)) == expected


def test_it_filters_by_kind_and_channel(alpha, inbox):
    make_item(alpha, reference="A", kind="complaint", channel="phone")
    make_item(alpha, reference="B", kind="compliment", channel="phone")
    make_item(alpha, reference="C", kind="complaint", channel="warranty_claim")
    assert _refs(inbox(kind="complaint")) == ["A", "C"]
    assert _refs(inbox(channel="phone")) == ["A", "B"]
    assert _refs(inbox(kind="complaint", channel="warranty_claim")) == ["C"]


def test_it_filters_by_customer(alpha, inbox):
    with alpha.context():
        acme, zeta = CustomerFactory(organization=alpha.organization), CustomerFactory(organization=alpha.organization)
    make_item(alpha, reference="A", customer=acme)
    make_item(alpha, reference="B", customer=zeta)
    make_item(alpha, reference="C")
    assert _refs(inbox(customer=acme.pk)) == ["A"]


def test_another_organisations_customer_is_not_a_filter_choice(alpha, bravo, inbox):
    with bravo.context():
        theirs = CustomerFactory(organization=bravo.organization)
    make_item(alpha, reference="A")
    response = inbox(customer=theirs.pk)
    assert _refs(response) == ["A"]
    assert response.context["form"].errors["customer"]


def test_it_filters_by_assignee_me_and_unassigned(alpha, login):
    make_item(alpha, reference="A", assignee=alpha.staff)
    make_item(alpha, reference="B", assignee=alpha.manager)
    make_item(alpha, reference="C")
    client = login(alpha.staff)
    get = lambda **p: client.get(url(alpha, "inbox"), p)  # noqa: E731
    assert _refs(get(assignee="me")) == ["A"]
    assert _refs(get(assignee="unassigned")) == ["C"]
    assert _refs(get(assignee=alpha.manager.pk)) == ["B"]


def test_it_filters_by_theme(alpha, inbox):
    with alpha.context():
        delivery = ThemeFactory(organization=alpha.organization, name="Delivery")
    tagged = make_item(alpha, reference="A")
    make_item(alpha, reference="B")
    FeedbackThemeFactory(feedback=tagged, theme=delivery)
    assert _refs(inbox(theme=delivery.pk)) == ["A"]


def test_it_filters_by_date_received(alpha, inbox):
    make_item(alpha, reference="A", received_on=date(2026, 1, 10))
    make_item(alpha, reference="B", received_on=date(2026, 2, 10))
    make_item(alpha, reference="C", received_on=date(2026, 3, 10))
    assert _refs(inbox(received_from="2026-02-01")) == ["B", "C"]
    assert _refs(inbox(received_to="2026-02-28")) == ["A", "B"]
    assert _refs(inbox(received_from="2026-02-01", received_to="2026-02-28")) == ["B"]


def test_an_invalid_filter_value_is_ignored_and_said_so(alpha, inbox):
    make_item(alpha, reference="A")
    response = inbox(status="bogus", received_from="not-a-date")
    assert _refs(response) == ["A"]
    assert "this filter was ignored" in response.content.decode()


def test_the_empty_state_says_whether_filters_hide_everything(alpha, inbox):
    assert "No feedback has been recorded yet" in inbox().content.decode()
    make_item(alpha, kind="compliment")
    assert "No feedback matches these filters" in inbox(kind="complaint").content.decode()


# --- full-text search ---------------------------------------------------------------------------------------


@pytest.fixture
def searchable(alpha):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
    make_item(alpha, reference="F-2026-0001", text="The valve leaked after two weeks", product="V-10 valve")
    make_item(alpha, reference="F-2026-0002", text="Invoice was wrong", submitter_name="Marguerite Okafor")
    make_item(alpha, reference="F-2026-0003", text="Friendly engineer on site", customer=customer)
    make_item(alpha, reference="F-2026-0004", text="The valve was fine but the invoice was late")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("valve", ["F-2026-0001", "F-2026-0004"]),
        ("V-10", ["F-2026-0001"]),
        ("Okafor", ["F-2026-0002"]),
        ("hydro", ["F-2026-0003"]),
        ("F-2026-0002", ["F-2026-0002"]),
        ("valve invoice", ["F-2026-0004"]),
        ("valve -invoice", ["F-2026-0001"]),
        ('"friendly engineer"', ["F-2026-0003"]),
        ("nothing-like-this", []),
    ],
)
def test_full_text_search_covers_reference_text_product_submitter_and_customer(searchable, inbox, q, expected):
    assert _refs(inbox(q=q)) == expected


def test_search_combines_with_the_other_filters(alpha, searchable, inbox):
    make_item(alpha, reference="F-2026-0009", text="Another valve", status=Status.CLOSED)
    assert _refs(inbox(q="valve", status="closed")) == ["F-2026-0009"]


@pytest.mark.skipif(not IS_POSTGRES, reason="stemming is PostgreSQL full-text search's")
def test_on_postgresql_search_matches_other_forms_of_a_word(alpha, inbox):
    make_item(alpha, reference="A", text="Two deliveries arrived late")
    assert _refs(inbox(q="delivery")) == ["A"]


def test_search_finds_only_this_organisation_s_feedback(alpha, bravo, inbox):
    make_item(alpha, reference="F-2026-0001", text="The valve leaked")
    make_item(bravo, reference="F-2026-0002", text="The valve leaked too")
    make_item(bravo, reference="F-2026-0003", text="Another matter")
    assert _refs(inbox(q="valve")) == ["F-2026-0001"]
    assert _refs(inbox(q="F-2026-0003")) == []  # nor by another organisation's reference


@pytest.mark.skipif(not IS_POSTGRES, reason="the stored search document is PostgreSQL's (triggers, GIN index)")
def test_on_postgresql_a_renamed_customer_is_found_by_its_new_name_only(alpha, login, inbox):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
    make_item(alpha, reference="F-2026-0001", text="Friendly engineer", customer=customer)
    response = login(alpha.manager).post(
        reverse("customers:customer_edit", kwargs={"org_slug": alpha.slug, "customer_id": customer.pk}),
        {"name": "Aquaflow Systems", "kind": customer.kind, "segment": "", "region": "", "external_ref": "",
         "account_owner": "", "notes": ""},
    )  # fmt: skip
    assert response.status_code == 302
    assert _refs(inbox(q="aquaflow")) == ["F-2026-0001"]
    assert _refs(inbox(q="hydro")) == []


@pytest.mark.skipif(not IS_POSTGRES, reason="the stored search document is PostgreSQL's (triggers, GIN index)")
def test_on_postgresql_an_erased_submitter_is_no_longer_found(alpha, login, inbox):
    with alpha.context():
        contact = ContactFactory(organization=alpha.organization, name="Marguerite Okafor", email="mo@x.test")
    make_item(alpha, reference="F-2026-0002", text="Invoice was wrong", submitter_name="Marguerite Okafor",
              submitter_email="mo@x.test", contact=contact)  # fmt: skip
    assert _refs(inbox(q="okafor")) == ["F-2026-0002"]
    erase_contact(login(alpha.owner), alpha, contact)
    assert _refs(inbox(q="okafor")) == []
    assert _refs(inbox(q="invoice")) == ["F-2026-0002"]


@pytest.mark.skipif(not IS_POSTGRES, reason="the stored search document is PostgreSQL's (triggers, GIN index)")
def test_on_postgresql_search_under_row_level_security_uses_the_gin_index(alpha):
    from feedback.selectors.inbox import feedback_search

    make_item(alpha, reference="F-2026-0001", text="The valve leaked")
    with alpha.context(), connection.cursor() as cursor:
        # An inbox of some size, as the app role under the tenant policy; statistics taken as the owner.
        cursor.execute(
            "INSERT INTO feedback_feedbackitem (organization_id, reference, channel, kind, status, submitter_name,"
            " submitter_email, product, received_on, text, sentiment, closing_note, converted_to, source_ip_hash,"
            " created_at, updated_at) SELECT %s, 'B-' || g, 'email', 'concern', 'new', '', '', '', current_date,"
            " 'Routine note ' || g, '', '', '', '', now(), now() FROM generate_series(1, 3000) g",
            [alpha.organization.pk],
        )
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "closeloop_app"
        cursor.execute("RESET ROLE; ANALYZE feedback_feedbackitem; SET ROLE closeloop_app")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a small table all the same: ask what else it can use
        # No organisation condition of its own: only the policy keeps it to alpha, and no other index competes.
        items = feedback_search(FeedbackItem._base_manager.all(), "valve")
        plan = items.explain()
        assert [item.reference for item in items] == ["F-2026-0001"]
    assert "feedback_item_search_gin" in plan, f"Is ts_match_vq LEAKPROOF? See deploy/postgres/roles.sql.\n{plan}"


# --- saved views --------------------------------------------------------------------------------------------


def test_the_built_in_views_show_mine_unassigned_and_this_month(alpha, login):
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    make_item(alpha, reference="mine", assignee=alpha.staff, received_on=last_month)
    make_item(alpha, reference="mine-closed", assignee=alpha.staff, status=Status.CLOSED, received_on=last_month)
    make_item(alpha, reference="free", received_on=last_month)
    make_item(alpha, reference="free-closed", status=Status.CLOSED, received_on=last_month)
    make_item(alpha, reference="recent", assignee=alpha.manager, received_on=today)
    client = login(alpha.staff)
    response = client.get(url(alpha, "inbox"))
    views = {view["name"]: view["query"] for view in response.context["builtin_views"]}
    assert list(views) == ["All feedback", "Mine", "Unassigned", "This month"]
    assert _refs(client.get(f"{url(alpha, 'inbox')}?{views['Mine']}")) == ["mine"]
    assert _refs(client.get(f"{url(alpha, 'inbox')}?{views['Unassigned']}")) == ["free"]
    assert _refs(client.get(f"{url(alpha, 'inbox')}?{views['This month']}")) == ["recent"]


def test_the_current_view_is_marked_for_assistive_technology(alpha, login):
    client = login(alpha.staff)
    mine = next(v["query"] for v in client.get(url(alpha, "inbox")).context["builtin_views"] if v["name"] == "Mine")
    response = client.get(f"{url(alpha, 'inbox')}?{mine}")
    active = [v["name"] for v in response.context["builtin_views"] if v["active"]]
    assert active == ["Mine"]
    assert (
        'aria-current="page" href="/o/alpha/feedback/?status=open&amp;assignee=me">Mine</a>'
        in response.content.decode()
    )


def test_a_person_saves_the_current_filters_as_a_named_view(alpha, login):
    client = login(alpha.staff)
    response = client.post(
        url(alpha, "saved_view_create"), {"name": "Open complaints", "query": "kind=complaint&status=open&page=3"}
    )
    with alpha.context():
        [view] = SavedView.objects.filter(organization=alpha.organization)
    assert (view.owner, view.name, view.query) == (alpha.staff, "Open complaints", "status=open&kind=complaint")
    assert response.status_code == 302
    assert response.url == f"{url(alpha, 'inbox')}?status=open&kind=complaint"
    [event] = events(alpha, "saved_view.create")
    assert event.actor == alpha.staff
    page = client.get(response.url)
    assert [v["name"] for v in page.context["saved_views"] if v["active"]] == ["Open complaints"]


def test_a_view_name_is_unique_per_person(alpha, login):
    SavedViewFactory(organization=alpha.organization, owner=alpha.staff, name="Mine too")
    client = login(alpha.staff)
    response = client.post(url(alpha, "saved_view_create"), {"name": "mine too", "query": "kind=question"}, follow=True)
    assert "You already have a view called" in response.content.decode()
    login(alpha.manager).post(url(alpha, "saved_view_create"), {"name": "Mine too", "query": "kind=question"})
    with alpha.context():
        assert SavedView.objects.filter(organization=alpha.organization, name__iexact="mine too").count() == 2


def test_a_person_sees_and_deletes_only_their_own_saved_views(alpha, login):
    mine = SavedViewFactory(organization=alpha.organization, owner=alpha.staff, name="Staff view")
    theirs = SavedViewFactory(organization=alpha.organization, owner=alpha.manager, name="Manager view")
    client = login(alpha.staff)
    names = [v["name"] for v in client.get(url(alpha, "inbox")).context["saved_views"]]
    assert names == ["Staff view"]
    assert client.post(url(alpha, "saved_view_delete", view_id=theirs.pk)).status_code == 404
    assert client.post(url(alpha, "saved_view_delete", view_id=mine.pk)).status_code == 302
    with alpha.context():
        assert list(SavedView.objects.filter(organization=alpha.organization)) == [theirs]
    [event] = events(alpha, "saved_view.delete")
    assert event.changes == {"name": ["Staff view", None], "query": ["status=new", None]}


def test_another_organisations_saved_view_is_not_found(alpha, bravo, login):
    theirs = SavedViewFactory(organization=bravo.organization, owner=bravo.owner)
    assert login(alpha.owner).post(url(alpha, "saved_view_delete", view_id=theirs.pk)).status_code == 404
    with bravo.context():
        assert SavedView.objects.filter(pk=theirs.pk).exists()


# --- export, escaping, query count --------------------------------------------------------------------------


def test_the_csv_export_holds_the_filtered_list_and_neutralises_formulas(alpha, bravo, login):
    with alpha.context():
        theme = ThemeFactory(organization=alpha.organization, name="Billing")
    item = make_item(alpha, reference="F-2026-0001", kind="complaint", text='=HYPERLINK("http://evil.example")')
    FeedbackThemeFactory(feedback=item, theme=theme)
    make_item(alpha, reference="F-2026-0002", kind="compliment", text="+1 great")
    make_item(bravo, reference="F-2026-0003", kind="complaint", text="Bravo secret")
    client = login(alpha.auditor)
    rows = _csv(client.get(url(alpha, "inbox_export"), {"kind": "complaint"}))
    assert rows[0][:3] == ["reference", "received on", "status"]
    assert [row[0] for row in rows[1:]] == ["F-2026-0001"]
    assert rows[1][rows[0].index("text")] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][rows[0].index("themes")] == "Billing"
    everything = _csv(client.get(url(alpha, "inbox_export")))
    assert "'+1 great" in [row[rows[0].index("text")] for row in everything]
    assert all("Bravo secret" not in cell for row in everything for cell in row)


SCRIPT = '<script>alert("x")</script>'


def test_free_text_is_escaped_on_the_list_and_the_detail_page(alpha, login):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name=f"Cust {SCRIPT}")
    item = make_item(alpha, text=f"Hello {SCRIPT}", product=SCRIPT, submitter_name=SCRIPT, customer=customer)
    client = login(alpha.manager)
    client.post(url(alpha, "feedback_close", feedback_id=item.pk), {"note": f"Closed {SCRIPT}"})
    for page in (client.get(url(alpha, "inbox")), client.get(url(alpha, "feedback_detail", feedback_id=item.pk))):
        assert page.status_code == 200
        content = page.content.decode()
        assert SCRIPT not in content
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content


def _full_inbox(tenant, count, offset=0):
    with tenant.context():
        themes = [ThemeFactory(organization=tenant.organization) for _ in range(2)]
        customer = CustomerFactory(organization=tenant.organization)
    contact = ContactFactory(customer=customer)
    for n in range(count):
        item = make_item(
            tenant,
            reference=f"Q-{offset + n}",
            customer=customer,
            contact=contact,
            assignee=tenant.staff,
            status=Status.IN_PROGRESS,
        )
        for theme in themes:
            FeedbackThemeFactory(feedback=item, theme=theme)


def _queries(client, path, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["inbox", "inbox_export"])
def test_the_list_and_the_export_make_the_same_number_of_queries_for_5_or_50_items(alpha, login, name):
    client = login(alpha.manager)
    path = url(alpha, name)
    SavedViewFactory(organization=alpha.organization, owner=alpha.manager)
    _full_inbox(alpha, 5)
    client.get(path)  # warm the session
    few = _queries(client, path)
    few_filtered = _queries(client, path, status="open", q="Q")
    _full_inbox(alpha, 45, offset=5)
    assert _queries(client, path) == few
    assert _queries(client, path, status="open", q="Q") == few_filtered
    if name == "inbox":
        assert len(client.get(path).context["page"].object_list) == 50
