"""Triage of one item: assignee, themes and sentiment on one panel, links, close and reopen; who may do it; the
item's timeline."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import strip_tags

from feedback.models import FeedbackItem, FeedbackTheme, Theme
from feedback.services.inbox import feedback_close, feedback_reopen, feedback_triage, feedback_update
from qms.links.models import Link
from qms.tenancy.models import Role
from tests.factories import FeedbackThemeFactory, ThemeFactory

from .shortcuts import events, make_item, reload, url

Status = FeedbackItem.Status
TRIAGE_ROUTES = {
    "feedback_triage": lambda t: {"assignee": t.staff.pk, "new_themes": "Packaging", "sentiment": "negative"},
    "feedback_link": lambda t: {"reference": "F-2026-9999"},
    "feedback_convert": lambda t: {"target": "complaint"},
    "feedback_close": lambda t: {"note": "Handled"},
    "feedback_reopen": lambda t: {},
    "attachment_upload": lambda t: {},
    "feedback_edit": lambda t: {"channel": "phone", "kind": "concern", "received_on": "2026-01-05", "text": "x"},
}


def _post(client, tenant, name, item, data):
    return client.post(url(tenant, name, feedback_id=item.pk), data)


def _triage(client, tenant, item, **changes):
    """Post the triage panel as the page fills it in (the item's current assignee, themes and sentiment), with
    these changes."""
    with tenant.context():
        item = reload(tenant, item)
        data = {
            "assignee": item.assignee_id or "",
            "sentiment": item.sentiment,
            "themes": [theme.pk for theme in item.themes.all()],
        }
    return _post(client, tenant, "feedback_triage", item, {**data, **changes})


def _tags(tenant, item):
    with tenant.context():
        return sorted(FeedbackTheme.objects.filter(feedback=item).values_list("theme__name", flat=True))


# --- assign -------------------------------------------------------------------------------------------------


def test_a_manager_assigns_a_new_item_and_it_goes_in_progress(alpha, login):
    item = make_item(alpha)
    response = _triage(login(alpha.manager), alpha, item, assignee=alpha.staff.pk)
    assert response.status_code == 302
    item = reload(alpha, item)
    assert (item.assignee, item.status) == (alpha.staff, Status.IN_PROGRESS)
    [event] = events(alpha, "feedback.assign")
    assert event.actor == alpha.manager
    assert event.object_id == str(item.pk)
    assert event.changes == {"assignee": [None, str(alpha.staff)], "status": ["new", "in_progress"]}


def test_unassigning_leaves_the_status_alone(alpha, login):
    item = make_item(alpha, assignee=alpha.staff, status=Status.IN_PROGRESS)
    _triage(login(alpha.owner), alpha, item, assignee="")
    item = reload(alpha, item)
    assert (item.assignee, item.status) == (None, Status.IN_PROGRESS)
    [event] = events(alpha, "feedback.assign")
    assert event.changes == {"assignee": [str(alpha.staff), None]}


@pytest.mark.parametrize("who", ["auditor", "bravo"])
def test_only_a_member_who_is_not_an_auditor_can_be_assigned(alpha, bravo, login, who):
    item = make_item(alpha)
    person = alpha.auditor if who == "auditor" else bravo.staff
    response = _triage(login(alpha.manager), alpha, item, assignee=person.pk)
    assert response.status_code == 200
    assert response.context["triage_form"].errors["assignee"]
    assert reload(alpha, item).assignee is None
    assert events(alpha, "feedback.assign") == []


def test_the_assignee_choices_list_only_this_organisations_members_who_are_not_auditors(alpha, bravo, login):
    item = make_item(alpha)
    form = login(alpha.manager).get(url(alpha, "feedback_detail", feedback_id=item.pk)).context["triage_form"]
    choices = {value for value, _ in form.fields["assignee"].choices if value}
    assert choices == {alpha.owner.pk, alpha.manager.pk, alpha.staff.pk}


# --- themes and sentiment -------------------------------------------------------------------------------------


def test_themes_are_set_and_new_ones_created_in_this_organisation(alpha, login):
    with alpha.context():
        delivery, pricing = (ThemeFactory(organization=alpha.organization, name=n) for n in ("Delivery", "Pricing"))
    item = make_item(alpha)
    FeedbackThemeFactory(feedback=item, theme=pricing)
    response = _triage(login(alpha.manager), alpha, item, themes=[delivery.pk], new_themes="Packaging, ")
    assert response.status_code == 302
    assert _tags(alpha, item) == ["Delivery", "Packaging"]
    with alpha.context():
        assert FeedbackTheme.objects.filter(feedback=item).exclude(organization=alpha.organization).count() == 0
        assert Theme.objects.filter(organization=alpha.organization, name="Packaging").exists()
    [event] = events(alpha, "feedback.themes")
    assert event.changes == {"themes": ["Pricing", "Delivery, Packaging"], "status": ["new", "in_progress"]}
    assert [e.changes for e in events(alpha, "theme.create")] == [{"name": [None, "Packaging"]}]


def test_another_organisations_theme_cannot_be_used(alpha, bravo, login):
    with bravo.context():
        secret = ThemeFactory(organization=bravo.organization, name="Bravo theme")
    item = make_item(alpha)
    response = _triage(login(alpha.manager), alpha, item, themes=[secret.pk])
    assert response.status_code == 200
    assert response.context["triage_form"].errors["themes"]
    assert _tags(alpha, item) == []


def test_sentiment_is_marked_and_audited(alpha, login):
    item = make_item(alpha, status=Status.IN_PROGRESS)
    assert _triage(login(alpha.manager), alpha, item, sentiment="negative").status_code == 302
    assert reload(alpha, item).sentiment == "negative"
    [event] = events(alpha, "feedback.sentiment")
    assert event.changes == {"sentiment": ["", "negative"]}


# --- the panel at once ---------------------------------------------------------------------------------------


def test_one_save_sets_assignee_themes_and_sentiment_each_its_own_event(alpha, login):
    with alpha.context():
        delivery = ThemeFactory(organization=alpha.organization, name="Delivery")
    item = make_item(alpha)
    response = _triage(
        login(alpha.manager), alpha, item, assignee=alpha.staff.pk, themes=[delivery.pk], sentiment="negative"
    )
    assert response.status_code == 302
    item = reload(alpha, item)
    assert (item.assignee, item.sentiment, item.status) == (alpha.staff, "negative", Status.IN_PROGRESS)
    assert _tags(alpha, item) == ["Delivery"]
    assert [e.action for e in events(alpha)] == ["feedback.assign", "feedback.themes", "feedback.sentiment"]
    page = login(alpha.manager).get(response.url).content.decode()
    said = f"Saved {item.reference}: assigned to {alpha.staff.get_full_name()}; themes Delivery; sentiment negative."
    assert said in page


def test_saving_the_panel_unchanged_writes_nothing(alpha, login):
    with alpha.context():
        delivery = ThemeFactory(organization=alpha.organization, name="Delivery")
    item = make_item(alpha, assignee=alpha.staff, status=Status.IN_PROGRESS, sentiment="neutral")
    FeedbackThemeFactory(feedback=item, theme=delivery)
    response = _triage(login(alpha.manager), alpha, item)
    assert events(alpha) == []
    assert f"Nothing changed on {item.reference}." in login(alpha.manager).get(response.url).content.decode()


def test_a_refused_part_writes_none_of_the_panel(alpha, login):
    """The service runs the changes in one transaction: a refusal of one keeps the others from being written."""
    item = make_item(alpha)
    with alpha.context(), pytest.raises(ValidationError), transaction.atomic():
        feedback_triage(
            feedback=item, actor=alpha.manager, assignee=alpha.auditor, themes=[], new_names=["Packaging"],
            sentiment="negative",
        )  # fmt: skip
    item = reload(alpha, item)
    assert (item.assignee, item.sentiment, item.status) == (None, "", Status.NEW)
    assert _tags(alpha, item) == [] and events(alpha) == []


def test_from_htmx_the_page_comes_back_in_place_with_its_message(alpha, login):
    item = make_item(alpha)
    client = login(alpha.manager)
    response = client.post(
        url(alpha, "feedback_triage", feedback_id=item.pk),
        {"assignee": alpha.staff.pk, "sentiment": "positive"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200  # no redirect: htmx swaps #item-page and #messages from this page
    content = response.content.decode()
    assert 'id="item-page"' in content and 'id="messages"' in content
    assert f"Saved {item.reference}: assigned to" in content
    assert "In progress" in content  # the header's status moved with the triage
    assert reload(alpha, item).sentiment == "positive"


def test_from_htmx_a_refusal_comes_back_with_the_form_and_what_was_typed(alpha, bravo, login):
    item = make_item(alpha)
    response = login(alpha.manager).post(
        url(alpha, "feedback_triage", feedback_id=item.pk),
        {"assignee": bravo.staff.pk, "new_themes": "Packaging"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.context["triage_form"].errors["assignee"]
    assert 'value="Packaging"' in response.content.decode()
    assert events(alpha) == []


def test_the_panel_declares_its_keyboard_shortcuts(alpha, login):
    item = make_item(alpha)
    content = login(alpha.manager).get(url(alpha, "feedback_detail", feedback_id=item.pk)).content.decode()
    for key in "astlce":
        assert f'data-shortcut="{key}" aria-keyshortcuts="{key}"' in content or (
            f'aria-keyshortcuts="{key}" data-shortcut="{key}"' in content
        ), key
    assert 'id="shortcuts-dialog"' in content


# --- links --------------------------------------------------------------------------------------------------


def test_an_item_is_linked_to_another_by_reference_and_both_show_the_link(alpha, login):
    item, other = make_item(alpha, reference="F-2026-0100"), make_item(alpha, reference="F-2026-0101")
    client = login(alpha.manager)
    assert _post(client, alpha, "feedback_link", item, {"reference": " f-2026-0101 "}).status_code == 302
    with alpha.context():
        [link] = Link.objects.filter(from_id=str(item.pk))
    assert (link.from_type, link.to_type, link.to_id) == (
        "feedback.feedbackitem",
        "feedback.feedbackitem",
        str(other.pk),
    )
    assert link.organization_id == alpha.organization.pk
    [event] = events(alpha, "feedback.link")
    assert event.changes["link"] == [None, "feedback F-2026-0101"]
    forward = client.get(url(alpha, "feedback_detail", feedback_id=item.pk)).content.decode()
    backward = client.get(url(alpha, "feedback_detail", feedback_id=other.pk)).content.decode()
    assert url(alpha, "feedback_detail", feedback_id=other.pk) in forward
    assert url(alpha, "feedback_detail", feedback_id=item.pk) in backward
    assert "links to this item" in backward


@pytest.mark.parametrize("target", ["bravo", "self", "missing", "twice"])
def test_a_link_to_an_unknown_foreign_or_same_item_is_refused(alpha, bravo, login, target):
    item = make_item(alpha, reference="F-2026-0200")
    other = make_item(alpha, reference="F-2026-0201")
    bravo_item = make_item(bravo, reference="F-2026-0300")
    client = login(alpha.manager)
    reference = {"bravo": bravo_item.reference, "self": item.reference, "missing": "F-1999-0001"}.get(target)
    if target == "twice":
        _post(client, alpha, "feedback_link", other, {"reference": item.reference})
        reference = other.reference
    before = events(alpha, "feedback.link")
    response = _post(client, alpha, "feedback_link", item, {"reference": reference})
    assert response.status_code == 200
    assert response.context["link_form"].errors["reference"]
    assert events(alpha, "feedback.link") == before
    with alpha.context():
        assert not Link.objects.filter(from_id=str(item.pk)).exists()


# --- transitions --------------------------------------------------------------------------------------------


def test_the_workflow_is_declared_on_the_model():
    assert FeedbackItem.workflow.table() == {
        "start": ((Status.NEW,), Status.IN_PROGRESS),
        "close": ((Status.NEW, Status.IN_PROGRESS), Status.CLOSED),
        "reopen": ((Status.CLOSED,), Status.IN_PROGRESS),
    }


@pytest.mark.parametrize(
    ("role", "status", "converted", "available"),
    [
        ("manager", Status.NEW, "", ["close"]),  # starting is what triage does, never a button
        ("manager", Status.IN_PROGRESS, "", ["close"]),
        ("manager", Status.CLOSED, "", ["reopen"]),
        ("manager", Status.CLOSED, "C-2026-0001", []),  # converted: carried on elsewhere
        ("auditor", Status.IN_PROGRESS, "", []),
    ],
)
def test_the_page_offers_the_transitions_this_member_may_make_now(alpha, login, role, status, converted, available):
    item = make_item(alpha, status=status, converted_to=converted)
    page = login(alpha.member(role)).get(url(alpha, "feedback_detail", feedback_id=item.pk))
    assert [t.name for t in page.context["transitions"]] == available


@pytest.mark.parametrize("status", [Status.NEW, Status.IN_PROGRESS])
def test_an_open_item_closes_with_a_note(alpha, login, status):
    item = make_item(alpha, status=status)
    response = _post(login(alpha.manager), alpha, "feedback_close", item, {"note": "Called back; replaced the part."})
    assert response.status_code == 302
    item = reload(alpha, item)
    assert (item.status, item.closing_note) == (Status.CLOSED, "Called back; replaced the part.")
    assert item.closed_at is not None
    [event] = events(alpha, "feedback.close")
    assert event.actor == alpha.manager
    assert event.changes["status"] == [status, "closed"]
    assert event.changes["closing_note"] == ["", "Called back; replaced the part."]


@pytest.mark.parametrize("note", ["", "   "])
def test_closing_without_a_note_is_refused(alpha, login, note):
    item = make_item(alpha)
    response = _post(login(alpha.manager), alpha, "feedback_close", item, {"note": note})
    assert response.status_code == 200
    assert "Say how the feedback was handled" in response.content.decode()
    assert reload(alpha, item).status == Status.NEW
    assert events(alpha, "feedback.close") == []


def test_a_closed_item_reopens_in_progress(alpha, login):
    item = make_item(alpha, status=Status.CLOSED, closing_note="Done")
    assert _post(login(alpha.manager), alpha, "feedback_reopen", item, {}).status_code == 302
    item = reload(alpha, item)
    assert (item.status, item.closing_note, item.closed_at) == (Status.IN_PROGRESS, "", None)
    [event] = events(alpha, "feedback.reopen")
    assert event.changes["status"] == ["closed", "in_progress"]
    assert event.changes["closing_note"] == ["Done", ""]


def test_an_open_item_cannot_be_reopened_nor_a_closed_one_closed_again(alpha, login):
    open_item = make_item(alpha, status=Status.IN_PROGRESS)
    closed_item = make_item(alpha, status=Status.CLOSED, closing_note="Done")
    client = login(alpha.manager)
    response = client.post(url(alpha, "feedback_reopen", feedback_id=open_item.pk), follow=True)
    assert "cannot be reopened" in response.content.decode()
    with alpha.context(), pytest.raises(ValidationError):
        feedback_close(feedback=closed_item, actor=alpha.manager, note="Again")
    with alpha.context(), pytest.raises(ValidationError):
        feedback_reopen(feedback=open_item, actor=alpha.manager)
    assert reload(alpha, open_item).status == Status.IN_PROGRESS
    assert events(alpha, "feedback.reopen") == events(alpha, "feedback.close") == []


def test_a_closed_item_refuses_triage_until_reopened(alpha, login):
    item = make_item(alpha, status=Status.CLOSED, closing_note="Done")
    response = _triage(login(alpha.manager), alpha, item, sentiment="positive")
    assert response.status_code == 200
    assert "Reopen it to change it" in response.content.decode()
    assert reload(alpha, item).sentiment == ""


def test_the_detail_page_shows_the_items_timeline(alpha, login):
    item = make_item(alpha)
    client = login(alpha.manager)
    _triage(client, alpha, item, assignee=alpha.staff.pk)
    _post(client, alpha, "feedback_close", item, {"note": "Sorted out by phone"})
    response = client.get(url(alpha, "feedback_detail", feedback_id=item.pk))
    labels = [entry["label"] for entry in response.context["timeline"]]
    assert labels == ["Assigned", "Closed"]
    content = response.content.decode()
    assert "Sorted out by phone" in content and "manager@alpha.test" in content


def test_the_timeline_tells_what_happened_in_sentences(alpha, login):
    item = make_item(alpha, received_on=date(2026, 11, 20))
    client = login(alpha.manager)
    _triage(client, alpha, item, assignee=alpha.staff.pk)
    with alpha.context():
        feedback_update(feedback=reload(alpha, item), actor=alpha.owner, received_on=date(2026, 11, 27))
    _post(client, alpha, "feedback_close", item, {"note": "Sorted out by phone"})
    page = client.get(url(alpha, "feedback_detail", feedback_id=item.pk)).content.decode()
    timeline = " ".join(strip_tags(page.split('id="h-timeline"')[1].split("</section>")[0]).split())
    manager, owner, staff = (p.get_full_name() for p in (alpha.manager, alpha.owner, alpha.staff))
    assert f"{manager} assigned it to {staff} ·" in timeline
    assert "Status changed from New to In progress" in timeline
    assert f"{owner} edited it ·" in timeline
    assert "Date received changed from 20 Nov 2026 to 27 Nov 2026" in timeline
    assert f"{manager} closed it ·" in timeline
    assert "Closing note set to Sorted out by phone" in timeline
    assert "Closed at" not in timeline  # the event's own time says when
    assert "_" not in timeline.replace(alpha.manager.email, "")


# --- who may triage -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TRIAGE_ROUTES))
def test_staff_cannot_triage_an_item_not_assigned_to_them(alpha, login, name):
    item = make_item(alpha, assignee=alpha.manager, status=Status.IN_PROGRESS)
    before = len(events(alpha))
    response = _post(login(alpha.staff), alpha, name, item, TRIAGE_ROUTES[name](alpha))
    assert response.status_code == 403
    assert "Ask a manager to assign it to you" in response.content.decode()
    assert len(events(alpha)) == before


def test_staff_triage_the_items_assigned_to_them(alpha, login):
    item = make_item(alpha, assignee=alpha.staff)
    client = login(alpha.staff)
    assert _triage(client, alpha, item, sentiment="neutral").status_code == 302
    assert _post(client, alpha, "feedback_close", item, {"note": "Answered the question"}).status_code == 302
    assert reload(alpha, item).status == Status.CLOSED


def test_staff_see_why_they_cannot_triage_on_the_item_page(alpha, login):
    item = make_item(alpha)
    response = login(alpha.staff).get(url(alpha, "feedback_detail", feedback_id=item.pk))
    assert response.status_code == 200
    assert response.context["can_triage"] is False
    assert "Ask a manager to assign it to you" in response.content.decode()
    assert url(alpha, "feedback_triage", feedback_id=item.pk) not in response.content.decode()


@pytest.mark.parametrize("name", sorted(TRIAGE_ROUTES))
def test_an_auditor_reads_but_never_triages(alpha, login, name):
    item = make_item(alpha, assignee=alpha.staff, text="Auditor can read this")
    client = login(alpha.auditor)
    assert client.get(url(alpha, "inbox")).status_code == 200
    page = client.get(url(alpha, "feedback_detail", feedback_id=item.pk))
    assert b"Auditor can read this" in page.content
    assert page.context["can_triage"] is False
    assert _post(client, alpha, name, item, TRIAGE_ROUTES[name](alpha)).status_code == 403
    assert events(alpha) == []


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_owners_and_managers_triage_any_item(alpha, login, role):
    item = make_item(alpha, assignee=alpha.staff, status=Status.IN_PROGRESS)
    assert _triage(login(alpha.member(role)), alpha, item, sentiment="positive").status_code == 302
