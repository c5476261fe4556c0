"""Every edit form of the product, opened in chromium and saved without touching anything, changes nothing: no field
of the record moves (a date the browser could not read would come back empty) and no audit event is recorded.
A new edit page joins EDIT_PAGES."""

import re
from datetime import date, timedelta

import pytest
from django.db import models
from django.utils import timezone

from customers.models import Contact, Customer
from feedback.models import FeedbackItem, MonitoringMethod
from qms.audit.models import AuditEvent
from qms.tenancy.models import Membership, Organization
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory, MonitoringMethodFactory

from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser

# (page under /o/alpha/, the model, which record, a field the edit form has)
EDIT_PAGES = (
    ("customers/{customer}/edit/", Customer, "customer", "name"),
    ("contacts/{contact}/edit/", Contact, "contact", "name"),
    ("feedback/{item}/edit/", FeedbackItem, "item", "text"),
    ("methods/{method}/edit/", MonitoringMethod, "method", "name"),
    ("settings/members/{auditor}/", Membership, "auditor", "role"),
    ("settings/members/{staff}/", Membership, "staff", "role"),
    ("settings/", Organization, "organization", "name"),
)


@pytest.fixture
def records(alpha):
    organization = alpha.organization
    with alpha.context():
        customer = CustomerFactory(
            organization=organization, name="Hydro Pumps plc", segment="Industrial", region="North",
            external_ref="CRM-7", notes="Key account.", account_owner=alpha.manager,
        )  # fmt: skip
        contact = ContactFactory(
            customer=customer, name="Tariq Patel", email="tariq@hydro.example", phone="+44 20 7946 0000",
            preferred_language="en-gb", consent=Contact.Consent.GRANTED,
        )  # fmt: skip
        item = FeedbackItemFactory(
            organization=organization, customer=customer, contact=contact, text="The valve leaked.",
            product="Valve V2", received_on=timezone.localdate() - timedelta(days=12),
        )  # fmt: skip
        method = MonitoringMethodFactory(
            organization=organization, owner=alpha.manager, last_reviewed_on=date(2026, 6, 27),
            description="Every complaint, read weekly.",
        )  # fmt: skip
        auditor = Membership.objects.get(organization=organization, user=alpha.auditor)
        # Seconds and microseconds that the minute-wide picker does not show.
        expiry = timezone.now().replace(second=41, microsecond=123456) + timedelta(days=40)
        Membership.objects.filter(pk=auditor.pk).update(expires_at=expiry)
        staff = Membership.objects.get(organization=organization, user=alpha.staff)
    return {
        "customer": customer.pk, "contact": contact.pk, "item": item.pk, "method": method.pk,
        "auditor": auditor.pk, "staff": staff.pk, "organization": organization.pk,
    }  # fmt: skip


def snapshot(alpha, model: type[models.Model], pk: int) -> dict:
    with alpha.context():
        row = model._base_manager.get(pk=pk)
        return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


def audit_events(alpha) -> list[tuple[str, dict]]:
    with alpha.context():
        return list(AuditEvent.objects.filter(organization=alpha.organization).values_list("action", "changes"))


def test_saving_every_edit_form_unchanged_changes_nothing(live_server, page, alpha, records):
    sign_in(page, live_server.url, alpha.owner.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    before_events = audit_events(alpha)
    changed = {}
    for path, model, record, field in EDIT_PAGES:
        url = f"{live_server.url}/o/alpha/{path.format(**records)}"
        before = snapshot(alpha, model, records[record])
        assert page.goto(url).status == 200, url
        form = page.locator("main form[method=post]", has=page.locator(f"[name={field}]")).first
        with page.expect_navigation():
            form.locator("[type=submit]").first.click()
        errors = page.locator(".invalid-feedback, .is-invalid, .alert-danger")
        assert errors.count() == 0, f"{url}: {errors.all_inner_texts()}"
        after = snapshot(alpha, model, records[record])
        if after != before:
            changed[url] = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, changed
    recorded = audit_events(alpha)[len(before_events) :]
    assert recorded == [], recorded
