"""Modules plug in through their AppConfig (qms/modules.py): the project gathers what each declares, and qms/
names none of them."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from qms.celery import app as celery_app
from qms.modules import (
    audit_action_label,
    installed_modules,
    notification_kinds,
    url_patterns,
)
from tests.factories import CustomerFactory, FeedbackItemFactory

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = {module.label for module in installed_modules()}


def _imported_apps(folder: str) -> set[tuple[str, str]]:
    """(file, top-level package) of every import in the folder's Python files, migrations included."""
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), alias.name.split(".")[0]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((str(path.relative_to(ROOT)), node.module.split(".")[0]))
    return found


@pytest.mark.parametrize(
    ("folder", "allowed"), [("qms", set()), ("customers", {"customers"}), ("feedback", {"feedback", "customers"})]
)
def test_dependencies_run_one_way(folder, allowed):
    wrong = {(path, app) for path, app in _imported_apps(folder) if app in DOMAIN - allowed}
    assert not wrong, f"{folder}/ imports domain apps it must not know: {sorted(wrong)}"


def test_the_installed_domain_apps_are_modules_in_dependency_order():
    # notifications is of the floor (qms/notifications) but plugs in like a module, before the domain apps
    assert [m.label for m in installed_modules()] == ["notifications", "customers", "feedback", "surveys", "reports"]


def test_every_declared_path_of_every_module_imports():
    for module in installed_modules():
        declared = [module.demo_seeder, module.dashboard_cards, module.dashboard_attention, module.home_view]
        for path in [*declared, *module.customer_panels, *module.privacy_handlers]:
            if path:
                assert import_string(path), f"{module.label}: {path}"
        for entry in module.navigation:
            assert reverse(entry.url_name, kwargs={"org_slug": "any"})


def test_each_modules_routes_are_mounted_under_its_own_namespace():
    mounted = {module.label: [p.name for p in patterns] for module, patterns in url_patterns("urlpatterns")}
    assert "customer_list" in mounted["customers"] and "inbox" in mounted["feedback"]
    assert reverse("customers:customer_list", kwargs={"org_slug": "x"}) == "/o/x/customers/"
    assert reverse("customers_api:api_customers", kwargs={"org_slug": "x"}) == "/api/v1/o/x/customers/"
    assert reverse("public:feedback_form", kwargs={"org_slug": "x"}) == "/p/x/feedback/"


def test_a_modules_periodic_tasks_join_beat_by_name_and_the_worker_knows_them():
    entry = settings.CELERY_BEAT_SCHEDULE["import-upkeep"]
    assert entry == {"task": "customers.import_upkeep", "schedule": settings.IMPORT_UPKEEP_SECONDS}
    celery_app.loader.import_default_modules()
    assert "customers.import_upkeep" in celery_app.tasks


def test_timelines_name_actions_as_their_module_declared_them():
    assert audit_action_label("feedback.close") == "Closed"
    assert audit_action_label("contact.erase") == "Personal data erased"
    assert audit_action_label("something.new") == "something.new"


def test_notification_kinds_are_declared_once_each():
    keys = [kind.key for kind in notification_kinds()]
    assert "feedback.received" in keys and len(keys) == len(set(keys))


def test_the_navigation_shows_each_installed_module_in_its_group_and_marks_the_current_one(alpha, login):
    page = login(alpha.manager).get(reverse("customers:customer_list", kwargs={"org_slug": alpha.slug}))
    entries = [(e["group"], e["label"], e["active"]) for e in page.context["module_navigation"]]
    assert entries == [
        ("Ask", "Surveys", False),
        ("Ask", "Campaigns", False),
        ("Listen", "Feedback inbox", False),
        ("Prove", "Monitoring methods", False),
        ("Directory", "Customers", True),
    ]
    html = page.content.decode()
    assert 'aria-current="page" href="/o/alpha/customers/">' in html
    assert "Complaints" not in html  # only the modules that exist
    methods = login(alpha.manager).get(reverse("feedback:method_list", kwargs={"org_slug": alpha.slug}))
    active = [e["label"] for e in methods.context["module_navigation"] if e["active"]]
    assert active == ["Monitoring methods"]


def test_the_dashboard_shows_each_modules_cards_with_this_organisations_figures(alpha, bravo, login):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization)
        FeedbackItemFactory.create_batch(3, organization=alpha.organization, customer=customer)
        FeedbackItemFactory(organization=alpha.organization, assignee=alpha.staff)
        FeedbackItemFactory(organization=alpha.organization, status="closed")
    with bravo.context():
        FeedbackItemFactory.create_batch(7, organization=bravo.organization)
    page = login(alpha.manager).get(reverse("tenancy:home", kwargs={"org_slug": alpha.slug}))
    board = page.context["dashboard"]
    cards = {figure.card.title: figure.card.value for figure in board.figures}
    assert cards["Open feedback"] == 4
    assert cards["Feedback received"] == 5
    assert cards["Customers added"] == 1
    attention = {a.title: a.count for a in board.attention}
    assert attention["Unassigned feedback"] == 3
    assert attention["Feedback assigned to me"] == 0
    staff = login(alpha.staff).get(reverse("tenancy:home", kwargs={"org_slug": alpha.slug})).context["dashboard"]
    assert {a.title: a.count for a in staff.attention}["Feedback assigned to me"] == 1
    assert "Open feedback" in page.content.decode()


def test_a_customers_page_shows_the_panels_other_modules_add(alpha, bravo, login):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Hartwell Engineering")
        other = CustomerFactory(organization=alpha.organization)
        FeedbackItemFactory(organization=alpha.organization, customer=customer, reference="F-2026-0007", text="Late")
        FeedbackItemFactory(organization=alpha.organization, customer=other, reference="F-2026-0008")
    page = login(alpha.staff).get(
        reverse("customers:customer_detail", kwargs={"org_slug": alpha.slug, "customer_id": customer.pk})
    )
    [panel] = page.context["panels"]
    assert panel.title == "Feedback" and [item.reference for item in panel.context["recent"]] == ["F-2026-0007"]
    content = page.content.decode()
    assert "F-2026-0007" in content and "F-2026-0008" not in content
    assert f"/o/alpha/feedback/?customer={customer.pk}" in content
