"""The notification pages: the bell, the list (follow, mark read, mark all read, unread filter), one's own settings
and the rules page."""

from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qms.modules import notification_kinds
from qms.notifications.models import NotificationPreference, NotificationRule
from qms.tenancy.models import Membership
from tests.factories.notifications import NotificationFactory

from .conftest import notifications_of


def url(name, tenant, **kwargs):
    return reverse(f"notifications:{name}", kwargs={"org_slug": tenant.slug, **kwargs})


def _mine(tenant, user, count, **fields):
    return [
        NotificationFactory(organization=tenant.organization, recipient=user, title=f"Item {n} for you", **fields)
        for n in range(count)
    ]


def test_the_bell_says_how_many_are_unread(alpha, bravo, login):
    _mine(alpha, alpha.manager, 3)
    _mine(alpha, alpha.staff, 2)
    _mine(bravo, bravo.manager, 4)
    page = login(alpha.manager).get(reverse("feedback:inbox", kwargs={"org_slug": alpha.slug})).content.decode()
    assert 'aria-label="Notifications, 3 unread"' in page
    assert '<span class="app-bell-count" aria-hidden="true">3</span>' in page
    assert f'href="{url("list", alpha)}"' in page


def test_an_auditor_has_no_bell(alpha, login):
    page = login(alpha.auditor).get(reverse("feedback:inbox", kwargs={"org_slug": alpha.slug})).content.decode()
    assert "app-bell" not in page


def test_the_bell_costs_one_query(alpha, rf):
    _mine(alpha, alpha.manager, 120)
    request = rf.get("/o/alpha/feedback/")
    request.user = alpha.manager
    with alpha.context():
        membership = Membership.objects.get(organization=alpha.organization, user=alpha.manager)
        template = Template("{% load notifications %}{% notification_bell %}")
        context = Context({"request": request, "organization": alpha.organization, "membership": membership})
        with CaptureQueriesContext(connection) as queries:
            html = template.render(context)
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert "99+" in html and "Notifications, 120 unread" in html


def test_the_list_shows_my_notifications_newest_first_and_pages_through_them(alpha, login):
    _mine(alpha, alpha.manager, 30)
    NotificationFactory(organization=alpha.organization, recipient=alpha.staff, title="Someone else's")
    page = login(alpha.manager).get(url("list", alpha))
    content = page.content.decode()
    assert page.context["page"].paginator.count == 30
    assert "Someone else&#x27;s" not in content and "Someone else's" not in content
    assert "1–25 of 30" in content
    assert len(login(alpha.manager).get(url("list", alpha) + "?page=2").context["page"].object_list) == 5


def test_the_unread_filter_leaves_out_what_was_read(alpha, login):
    [read] = _mine(alpha, alpha.manager, 1)
    NotificationFactory(organization=alpha.organization, recipient=alpha.manager, title="Still to see")
    with alpha.context():
        type(read).objects.filter(pk=read.pk).update(read_at=read.created_at)
    content = login(alpha.manager).get(url("list", alpha) + "?show=unread").content.decode()
    assert "Still to see" in content and read.title not in content
    assert "Unread (1)" in content


def test_an_empty_list_says_what_happens_here(alpha, login):
    content = login(alpha.staff).get(url("list", alpha)).content.decode()
    assert "No notifications yet." in content
    content = login(alpha.staff).get(url("list", alpha) + "?show=unread").content.decode()
    assert "Nothing unread" in content


def test_following_a_notification_marks_it_read_and_opens_its_record(alpha, login):
    [notification] = _mine(alpha, alpha.manager, 1, url="/o/alpha/feedback/")
    response = login(alpha.manager).get(url("open", alpha, notification_id=notification.pk))
    assert (response.status_code, response["Location"]) == (302, "/o/alpha/feedback/")
    assert notifications_of(alpha)[0].read_at is not None


def test_a_notification_never_redirects_off_the_site(alpha, login):
    [notification] = _mine(alpha, alpha.manager, 1, url="https://evil.example/phish")
    response = login(alpha.manager).get(url("open", alpha, notification_id=notification.pk))
    assert response["Location"] == url("list", alpha)


def test_someone_elses_notification_is_not_found(alpha, login):
    [notification] = _mine(alpha, alpha.staff, 1)
    client = login(alpha.manager)
    assert client.get(url("open", alpha, notification_id=notification.pk)).status_code == 404
    assert client.post(url("read", alpha, notification_id=notification.pk)).status_code == 404
    assert notifications_of(alpha)[0].read_at is None


def test_mark_read_returns_to_the_list_or_swaps_the_entry_with_htmx(alpha, login):
    first, second = _mine(alpha, alpha.manager, 2)
    client = login(alpha.manager)
    response = client.post(url("read", alpha, notification_id=first.pk), {"show": "unread"})
    assert response["Location"] == url("list", alpha) + "?show=unread"
    response = client.post(url("read", alpha, notification_id=second.pk), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert response.status_code == 200 and f'id="notification-{second.pk}"' in content
    assert "Mark read" not in content and "notification-unread" not in content
    assert 'id="notification-bell" hx-swap-oob="true"' in content and "Notifications, 0 unread" in content
    assert all(n.read_at for n in notifications_of(alpha))


def test_mark_all_read_marks_only_mine(alpha, login):
    _mine(alpha, alpha.manager, 3)
    _mine(alpha, alpha.staff, 1)
    response = login(alpha.manager).post(url("read_all", alpha))
    assert response.status_code == 302
    assert [bool(n.read_at) for n in notifications_of(alpha, alpha.manager)] == [True] * 3
    assert [bool(n.read_at) for n in notifications_of(alpha, alpha.staff)] == [False]
    assert "3 notifications marked read." in login(alpha.manager).get(response["Location"]).content.decode()


def test_my_settings_choose_the_digest_and_turn_a_kind_off(alpha, login):
    client = login(alpha.staff)
    page = client.get(url("settings", alpha)).content.decode()
    assert "New feedback" in page and "Feedback assigned to me" in page
    every_kind = [kind.key for kind in notification_kinds()]
    kept = [key for key in every_kind if key != "feedback.received"]  # every kind but one
    response = client.post(url("settings", alpha), {"delivery": "digest", "kinds": kept})
    assert response.status_code == 302
    with alpha.context():
        preference = NotificationPreference.objects.select_related("membership__user").get(
            organization=alpha.organization
        )
    assert (preference.membership.user, preference.delivery, preference.muted_kinds) == (
        alpha.staff,
        "digest",
        ["feedback.received"],
    )
    client.post(url("settings", alpha), {"delivery": "immediate", "kinds": every_kind})
    with alpha.context():
        preference.refresh_from_db()
    assert (preference.delivery, preference.muted_kinds) == ("immediate", [])


def test_the_rules_page_says_the_managers_are_told_by_default_and_offers_the_facts_choices(alpha, login):
    from tests.factories import CustomerFactory

    CustomerFactory(organization=alpha.organization, segment="Automotive")
    content = login(alpha.manager).get(url("rules", alpha)).content.decode()
    assert "No rule yet, so the managers (owners and managers) are told of every one." in content
    assert '<option value="web_form">Web form</option>' in content
    assert '<option value="complaint">Complaint</option>' in content
    assert '<option value="Automotive">Automotive</option>' in content


def test_a_manager_adds_pauses_and_deletes_a_rule(alpha, login):
    client = login(alpha.manager)
    response = client.post(
        url("rules", alpha),
        {
            "kind": "feedback.received",
            "feedback-received-fact_kind": "complaint",
            "feedback-received-target": "member",
            "feedback-received-member": alpha.staff.pk,
        },
    )
    assert response.status_code == 302
    with alpha.context():
        rule = NotificationRule.objects.get(organization=alpha.organization)
    assert (rule.conditions, rule.target, rule.member) == ({"kind": "complaint"}, "member", alpha.staff)
    assert rule.active
    content = client.get(url("rules", alpha)).content.decode()
    assert "Kind: <strong>Complaint</strong>" in content and alpha.staff.get_full_name() in content
    client.post(url("rule_active", alpha, rule_id=rule.pk), {"active": "0"})
    assert "No rule of this kind is on" in client.get(url("rules", alpha)).content.decode()
    client.post(url("rule_delete", alpha, rule_id=rule.pk))
    with alpha.context():
        rule.refresh_from_db()
    assert (rule.active, rule.deleted_at is not None) == (False, True)
    assert "Kind: <strong>Complaint</strong>" not in client.get(url("rules", alpha)).content.decode()


def test_a_rule_for_a_named_member_needs_the_member_and_refuses_an_auditor(alpha, login):
    client = login(alpha.owner)
    base = {"kind": "feedback.received", "feedback-received-target": "member"}
    response = client.post(url("rules", alpha), base)
    assert response.status_code == 200 and "Choose the member who is told." in response.content.decode()
    response = client.post(url("rules", alpha), {**base, "feedback-received-member": alpha.auditor.pk})
    assert response.status_code == 200
    with alpha.context():
        assert not NotificationRule.objects.filter(organization=alpha.organization).exists()


def test_staff_may_not_see_the_rules(alpha, login):
    assert login(alpha.staff).get(url("rules", alpha)).status_code == 403


def test_the_rules_page_offers_no_rules_for_a_kind_that_names_its_own_people(alpha, login):
    content = login(alpha.manager).get(url("rules", alpha)).content.decode()
    assert "New feedback" in content and "Feedback assigned to me" not in content
    response = login(alpha.manager).post(
        url("rules", alpha), {"kind": "feedback.assigned", "feedback-assigned-target": "managers"}
    )
    assert response.status_code == 404
    with alpha.context():
        assert not NotificationRule.objects.filter(organization=alpha.organization).exists()
