"""Management commands from the contract: create_org, seed_demo and verify_audit."""

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from feedback.models import FeedbackItem
from qms.audit.models import AuditEvent
from qms.audit.selectors import audit_chain_verify
from qms.tenancy.context import organization_context
from qms.tenancy.models import Membership, Organization, Role
from surveys.models import Answer, FollowUp, Response, Survey
from surveys.selectors.results import monthly_trend

PW = "gamma-owner-passphrase-9"
DEMO_PW = "demo-passphrase-for-tests"


def _run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def _signs_in(email, password):
    return Client().post("/accounts/login/", {"username": email, "password": password}).status_code == 302


def _memberships(organization):
    with organization_context(organization):
        return {
            (m.user.email, m.role)
            for m in Membership.objects.active().filter(organization=organization).select_related("user")
        }


def test_create_org_creates_the_organisation_and_its_owner(db):
    out = _run("create_org", "gamma", name="Gamma Gauges", owner="Boss@Gamma.test", password=PW)
    assert "Created Gamma Gauges at /o/gamma/ owned by boss@gamma.test" in out
    organization = Organization.objects.get(slug="gamma")
    assert organization.name == "Gamma Gauges"
    assert _memberships(organization) == {("boss@gamma.test", Role.OWNER)}
    assert _signs_in("boss@gamma.test", PW)


def test_create_org_starts_an_intact_audit_chain(db):
    _run("create_org", "gamma", name="Gamma Gauges", owner="boss@gamma.test", password=PW)
    organization = Organization.objects.get(slug="gamma")
    with organization_context(organization):
        events = list(AuditEvent.objects.filter(organization=organization).order_by("seq"))
    assert [(e.seq, e.action, e.actor_label) for e in events] == [
        (1, "organization.create", "boss@gamma.test"),
        (2, "membership.add", "boss@gamma.test"),
    ]
    assert audit_chain_verify(organization=organization) == (2, None)


def test_create_org_reuses_an_existing_account_as_owner(alpha):
    _run("create_org", "gamma", name="Gamma Gauges", owner="MANAGER@alpha.test")
    assert get_user_model().objects.filter(email__iexact="manager@alpha.test").count() == 1
    assert _memberships(Organization.objects.get(slug="gamma")) == {("manager@alpha.test", Role.OWNER)}


def test_create_org_needs_a_password_for_a_new_owner(db):
    with pytest.raises(CommandError, match="--password"):
        _run("create_org", "gamma", name="Gamma Gauges", owner="boss@gamma.test")
    assert not Organization.objects.filter(slug="gamma").exists()
    assert not get_user_model().objects.filter(email="boss@gamma.test").exists()


def test_create_org_refuses_a_duplicate_slug(alpha):
    with pytest.raises(CommandError, match="already exists"):
        _run("create_org", "alpha", name="Impostor", owner="boss@gamma.test", password=PW)
    assert Organization.objects.get(slug="alpha").name == "Alpha Instruments"
    assert not get_user_model().objects.filter(email="boss@gamma.test").exists()


@pytest.mark.parametrize("slug", ["Not A Slug", "UPPER", "café", "under_score"])
def test_create_org_refuses_an_invalid_slug(db, slug):
    with pytest.raises(CommandError):
        _run("create_org", slug, name="Gamma Gauges", owner="boss@gamma.test", password=PW)
    assert not Organization.objects.exists()
    assert not get_user_model().objects.filter(email="boss@gamma.test").exists()


def test_seed_demo_creates_two_organisations_with_every_role(db):
    out = _run("seed_demo", password=DEMO_PW)
    organizations = {o.slug: o for o in Organization.objects.all()}
    assert set(organizations) == {"northwind", "acme"}
    for slug, domain in (("northwind", "northwind.example"), ("acme", "acme.example")):
        members = _memberships(organizations[slug])
        assert {role for _, role in members} == {Role.OWNER, Role.MANAGER, Role.STAFF, Role.AUDITOR}
        for role in Role.values:
            assert f"{role}@{domain}" in out
        assert f"/o/{slug}/" in out
        assert audit_chain_verify(organization=organizations[slug])[1] is None
    assert f"password: {DEMO_PW}" in out
    assert _signs_in("manager@acme.example", DEMO_PW)
    assert _signs_in("auditor@northwind.example", DEMO_PW)
    for organization in organizations.values():
        _has_a_year_of_answers_with_a_flagged_drop_and_follow_ups(organization)
        _has_campaigns_with_a_wave_reminders_and_a_draft(organization)


def _has_campaigns_with_a_wave_reminders_and_a_draft(organization):
    """The campaign pages are worth looking at: a running campaign with a past wave, its reminders gone to those who
    had not answered and some answers, its next wave planned; the API's campaign with contacts waiting; a draft."""
    from surveys.models import Campaign, CampaignStep

    with organization_context(organization):
        statuses = Counter(Campaign.objects.values_list("status", flat=True))
        assert statuses == {Campaign.Status.RUNNING: 2, Campaign.Status.DRAFT: 1}, statuses
        quarterly = Campaign.objects.get(every=Campaign.Every.QUARTER)
        wave = quarterly.sends.get()
        reminded = wave.invitations.filter(reminders_sent=2)
        assert reminded.exists() and not reminded.filter(response__isnull=False).exists()
        assert wave.invitations.filter(response__isnull=False).exists()
        assert quarterly.steps.filter(kind=CampaignStep.Kind.WAVE, state=CampaignStep.State.DUE).exists()
        assert Campaign.objects.get(audience=Campaign.Audience.API).members.filter(invited_at__isnull=True).count() == 8


def _has_a_year_of_answers_with_a_flagged_drop_and_follow_ups(organization):
    """The demo's results are worth looking at: a year of CSAT months, the busiest segment's satisfaction falling
    since the month before last (the trend flags it), and the unhappy answers followed up in the inbox (the older
    ones closed)."""
    with organization_context(organization):
        csat = Survey.objects.get(organization=organization, name="After delivery")
        assert len(monthly_trend(survey=csat, code="csat")) >= 11
        segments = Counter(Response.objects.filter(survey=csat).values_list("attributes__segment", flat=True))
        busiest = segments.most_common(1)[0][0]
        today = timezone.localdate(timezone=organization.zone())
        year, month = divmod(today.year * 12 + today.month - 1 - 2, 12)
        since = date(year, month + 1, 1)
        scores = Answer.objects.filter(
            question__code="csat", response__survey=csat, response__attributes__segment=busiest
        )
        before, after = (
            scores.filter(response__submitted_on__lt=since),
            scores.filter(response__submitted_on__gte=since),
        )
        pairs = (("before", before), ("after", after))
        share = {name: rows.filter(number__gte=4).count() / rows.count() for name, rows in pairs}
        assert share["after"] < share["before"] - 0.3, share
        items = FeedbackItem.objects.filter(organization=organization, channel=FeedbackItem.Channel.SURVEY)
        assert FollowUp.objects.filter(item__isnull=True).count() == 0
        assert {item.status for item in items} >= {FeedbackItem.Status.CLOSED}
        assert items.exclude(status=FeedbackItem.Status.CLOSED).exists()


def test_seed_demo_gives_auditors_an_expiry(db):
    _run("seed_demo", password=DEMO_PW)
    for organization in Organization.objects.all():
        with organization_context(organization):
            auditors = Membership.objects.filter(organization=organization, role=Role.AUDITOR)
            assert auditors and all(m.expires_at is not None for m in auditors)


def test_seed_demo_without_a_password_prints_the_default(db):
    out = _run("seed_demo")
    assert "password: closeloop-demo" in out
    assert _signs_in("owner@acme.example", "closeloop-demo")


def test_running_seed_demo_twice_changes_nothing(db):
    _run("seed_demo", password=DEMO_PW)
    users = get_user_model().objects.count()
    memberships = {o.slug: _memberships(o) for o in Organization.objects.all()}
    out = _run("seed_demo", password="another-passphrase-1")
    assert "nothing to do" in out
    assert "owner@northwind.example" in out
    assert Organization.objects.count() == 2
    assert get_user_model().objects.count() == users
    assert {o.slug: _memberships(o) for o in Organization.objects.all()} == memberships
    assert _signs_in("owner@northwind.example", DEMO_PW)


def test_verify_audit_reports_every_intact_chain(db):
    _run("create_org", "gamma", name="Gamma Gauges", owner="boss@gamma.test", password=PW)
    _run("create_org", "delta", name="Delta Dials", owner="boss@gamma.test")
    out = _run("verify_audit")
    assert "delta: intact (2 events)" in out
    assert "gamma: intact (2 events)" in out
