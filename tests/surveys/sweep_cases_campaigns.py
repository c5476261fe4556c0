"""Sweep cases for campaigns: the list, a campaign's pages and actions, its members and exclusions, the contact
rule."""

from datetime import time, timedelta

from django.utils import timezone

from surveys.services.campaigns import campaign_create, campaign_launch, members_add, steps_run
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import build_survey
from tests.sweep.core import GET_POST, POST, Case


def populate(tenant, marker):
    """A running list campaign whose first wave has gone (one contact invited, one left out as opted out), and a
    draft campaign to edit and launch."""
    organization = tenant.organization
    survey = build_survey(organization, name=f"{marker} campaign survey")
    customer = CustomerFactory(organization=organization, name=f"{marker} campaign customer", segment=f"{marker}-seg")
    invited = ContactFactory(customer=customer, name=f"{marker} campaign contact")
    opted_out = ContactFactory(customer=customer, name=f"{marker} opted-out contact", consent="opted_out")
    now = timezone.now()
    with tenant.context():
        running = campaign_create(
            organization=organization, actor=tenant.manager, name=f"{marker} running campaign", survey=survey,
            audience="list", every="monthly", start_on=timezone.localdate(), at=time(0, 0), expiry_days=30,
        )  # fmt: skip
        members_add(campaign=running, actor=tenant.manager, contacts=[invited.pk, opted_out.pk], source="list")
        campaign_launch(campaign=running, actor=tenant.manager, now=now - timedelta(days=1))
        steps_run(organization=organization, now=now)
        draft = campaign_create(
            organization=organization, actor=tenant.manager, name=f"{marker} draft campaign", survey=survey,
            audience="segment", audience_value=f"{marker}-seg", every="once", start_on=timezone.localdate() +
            timedelta(days=7), at=time(9, 0), expiry_days=30,
        )  # fmt: skip
        check_in = _check_in(tenant, marker, now)
    return {"running_campaign": running, "draft_campaign": draft, "campaign_survey": survey, "check_in": check_in}


def _check_in(tenant, marker, now):
    """A leadership check-in whose first wave gave the staff member (the key customer's account owner) a
    conversation to hold."""
    from surveys.models import CheckIn  # noqa: PLC0415

    organization = tenant.organization
    CustomerFactory(organization=organization, name=f"{marker} key customer", segment=f"{marker}-key",
                    account_owner=tenant.staff)  # fmt: skip
    campaign = campaign_create(
        organization=organization, actor=tenant.manager, name=f"{marker} check-in", kind="check_in", survey=None,
        audience="segment", audience_value=f"{marker}-key", every="quarterly", start_on=timezone.localdate(),
        at=time(0, 0), expiry_days=30,
    )  # fmt: skip
    campaign_launch(campaign=campaign, actor=tenant.manager, now=now - timedelta(days=1))
    steps_run(organization=organization, now=now)
    return CheckIn.objects.get(campaign=campaign)


def snapshot(tenant):
    from surveys.models import Campaign, CampaignMember, CheckIn, OutreachRule  # noqa: PLC0415

    organization = tenant.organization
    return {
        "campaigns": list(
            Campaign.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "name", "status", "audience_value", "per_day", "paused_at")
        ),
        "members": list(CampaignMember.objects.filter(organization=organization).order_by("pk").values_list("pk")),
        "rule": list(OutreachRule.objects.filter(organization=organization).values_list("campaign_days")),
        "check_ins": list(CheckIn.objects.filter(organization=organization).values_list("pk", "state", "item_id")),
    }


def _draft(w):
    return {"campaign_id": w.extra["draft_campaign"].pk}


def _running(w):
    return {"campaign_id": w.extra["running_campaign"].pk}


def _form(w):
    later = (timezone.localdate() + timedelta(days=9)).isoformat()
    return {"name": f"{w.marker} renamed", "kind": "survey", "survey": w.extra["campaign_survey"].pk,
            "audience": "segment", "segment": f"{w.marker}-seg", "every": "once", "start_on": later, "at": "10:00",
            "per_day": "0", "expiry_days": "20"}  # fmt: skip


CASES = {
    "surveys:campaign_list": Case(shows=("{marker} running campaign",)),
    "surveys:campaign_create": Case(methods=GET_POST, form=_form),
    "surveys:contact_rule": Case(methods=GET_POST, form=lambda w: {"campaign_days": "14", "transactional_days": "3"}),
    "surveys:campaign_detail": Case(target=_running, shows=("{marker} running campaign",)),
    "surveys:campaign_edit": Case(methods=GET_POST, target=_draft, form=_form, shows=("{marker} draft campaign",)),
    "surveys:campaign_status": Case(methods=POST, target=lambda w: {**_running(w), "action": "pause"}),
    "surveys:campaign_test": Case(methods=POST, target=_draft),
    "surveys:campaign_members": Case(target=_running, shows=("{marker} campaign contact",)),
    "surveys:campaign_exclusions": Case(target=_running, shows=("{marker} opted-out contact",)),
    "surveys:check_in_record": Case(
        methods=GET_POST,
        target=lambda w: {"campaign_id": w.extra["check_in"].campaign_id, "check_in_id": w.extra["check_in"].pk},
        form=lambda w: {
            "held_on": timezone.localdate().isoformat(),
            "kind": "suggestion",
            "outcome": f"{w.marker} said deliveries could be announced a day ahead.",
        },  # fmt: skip
        shows=("{marker} key customer",),
    ),
}
