"""Adding and editing methods: owners and managers only, each change audited."""

import pytest
from django.utils import timezone

from feedback.models import MonitoringMethod
from qms.audit.models import AuditEvent
from qms.tenancy.models import Membership
from tests.factories import MonitoringMethodFactory

NEW = "/o/alpha/methods/new/"


def methods_of(tenant):
    with tenant.context():
        return list(MonitoringMethod.objects.filter(organization=tenant.organization).order_by("pk"))


def events_of(tenant, action):
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization, action=action))


def form(**overrides):
    return {
        "name": "Quarterly NPS survey",
        "kind": "survey",
        "description": "Sent to every active account.",
        "owner": "",
        "review_frequency": "quarterly",
        "last_reviewed_on": "",
        **overrides,
    }


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_a_manager_adds_a_method(alpha, login, role):
    response = login(alpha.member(role)).post(NEW, form(owner=alpha.staff.pk, last_reviewed_on="2030-02-01"))
    assert response.status_code == 302
    assert response["Location"] == "/o/alpha/methods/"
    [method] = methods_of(alpha)
    assert (method.name, method.kind, method.owner, method.review_frequency) == (
        "Quarterly NPS survey",
        "survey",
        alpha.staff,
        "quarterly",
    )
    assert str(method.last_reviewed_on) == "2030-02-01"
    [event] = events_of(alpha, "monitoring_method.create")
    assert event.changes["name"] == [None, "Quarterly NPS survey"]


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_staff_and_auditors_cannot_add_or_edit(alpha, login, role):
    existing = MonitoringMethodFactory(organization=alpha.organization, name="Kept")
    client = login(alpha.member(role))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form()).status_code == 403
    edit = f"/o/alpha/methods/{existing.pk}/edit/"
    assert client.get(edit).status_code == 403
    assert client.post(edit, form(name="Changed")).status_code == 403
    assert [m.name for m in methods_of(alpha)] == ["Kept"]


def test_a_missing_name_re_renders_the_form_with_an_error(alpha, login):
    response = login(alpha.manager).post(NEW, form(name=""))
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert methods_of(alpha) == []


def test_the_owner_must_be_a_member_of_this_organisation(alpha, bravo, login):
    response = login(alpha.manager).post(NEW, form(owner=bravo.manager.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert methods_of(alpha) == []


def test_editing_saves_and_audits_only_what_changed(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, name="Dealer reports", kind="dealer")
    client = login(alpha.manager)
    edit = f"/o/alpha/methods/{method.pk}/edit/"
    page = client.get(edit).content.decode()
    assert 'value="Dealer reports"' in page
    response = client.post(edit, form(name="Dealer reports", kind="dealer", review_frequency="yearly"))
    assert response.status_code == 302
    [method] = methods_of(alpha)
    assert method.review_frequency == "yearly"
    [event] = events_of(alpha, "monitoring_method.update")
    assert set(event.changes) == {"review_frequency", "description"}


def test_another_organisations_method_is_not_found(alpha, bravo, login):
    theirs = MonitoringMethodFactory(organization=bravo.organization, name="Bravo method")
    client = login(alpha.owner)
    assert client.get(f"/o/alpha/methods/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/o/alpha/methods/{theirs.pk}/edit/", form()).status_code == 404
    [kept] = methods_of(bravo)
    assert kept.name == "Bravo method"


def test_an_auditor_cannot_own_a_method(alpha, login):
    response = login(alpha.manager).post(NEW, form(owner=alpha.auditor.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert methods_of(alpha) == []


def test_a_former_member_stays_owner_until_someone_changes_it(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, name="Kept owner", owner=alpha.staff)
    with alpha.context():
        Membership.objects.filter(organization=alpha.organization, user=alpha.staff).update(removed_at=timezone.now())
    response = login(alpha.manager).post(
        f"/o/alpha/methods/{method.pk}/edit/", form(name="Renamed", owner=alpha.staff.pk)
    )
    assert response.status_code == 302
    [method] = methods_of(alpha)
    assert (method.name, method.owner_id) == ("Renamed", alpha.staff.pk)
