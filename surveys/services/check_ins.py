"""Leadership check-ins (ISO 9001 5.1.2 in practice): a campaign that sends no email. Each wave gives every key
customer of its audience (the customers of a segment or a region) a conversation to hold by a due date, assigned
to the campaign's named leader or, without one, to the customer's account owner; its reminders and due date tell
the people who still have conversations to hold (in the app and by email, as their notification settings say), and
each outcome is recorded as a feedback item of channel "meeting", linked from its check-in.

Choices: a customer without an account owner, in a campaign without a leader, is left out of the wave and counted
(`no_owner`); a conversation not recorded by its due date is marked "not held in time" and can still be recorded.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Customer
from feedback.models import FeedbackItem
from feedback.selectors.inbox import assignable_members
from feedback.services.inbox import feedback_create
from qms.accounts.models import User
from qms.audit.writes import audited_update
from qms.notifications.services import notify
from surveys.models import Campaign, CampaignStep, CheckIn

NOTIFICATION = "surveys.check_in"


def audience_customers(campaign: Campaign) -> QuerySet[Customer]:
    """The key customers a check-in wave calls on: those of the campaign's segment or region, not archived."""
    customers = Customer.objects.filter(organization=campaign.organization, archived_at__isnull=True)
    if campaign.audience == Campaign.Audience.REGION:
        return customers.filter(region=campaign.audience_value)
    return customers.filter(segment=campaign.audience_value)


def check_in_audience(campaign: Campaign) -> tuple[list[tuple[int, int]], int]:
    """(customer id, assignee id) for each customer the next wave calls on, and how many have nobody to call them
    (no leader named and no account owner, or an owner who is no longer a member who may hold it)."""
    members = set(assignable_members(organization=campaign.organization).values_list("user_id", flat=True))
    rows, nobody = [], 0
    for pk, owner in audience_customers(campaign).order_by("name", "pk").values_list("pk", "account_owner_id"):
        assignee = campaign.leader_id or owner
        if assignee is None or assignee not in members:
            nobody += 1
        else:
            rows.append((pk, assignee))
    return rows, nobody


def check_ins_build(step: CampaignStep, *, now: datetime) -> int:
    """A check-in wave: one open check-in per customer, due `expiry_days` later (the organisation's date), and one
    notification per person with the number of conversations they are to hold."""
    campaign = step.campaign
    organization = campaign.organization
    rows, nobody = check_in_audience(campaign)
    due_on = timezone.localdate(step.due_at, organization.zone()) + timedelta(days=campaign.expiry_days)
    CheckIn.objects.bulk_create(
        [CheckIn(organization=organization, campaign=campaign, wave=step.wave, customer_id=customer, assignee_id=user,
                 due_on=due_on, created_at=now) for customer, user in rows],
        ignore_conflicts=True,  # a wave is built once (its step is locked); a retried build adds nothing
    )  # fmt: skip
    for n, reminder in enumerate(campaign.reminders or [], start=1):
        CampaignStep.objects.create(
            organization=organization, campaign=campaign, kind=CampaignStep.Kind.REMINDER, wave=step.wave,
            reminder=n, due_at=step.due_at + timedelta(days=int(reminder["after_days"])),
        )  # fmt: skip
    CampaignStep.objects.create(
        organization=organization, campaign=campaign, kind=CampaignStep.Kind.EXPIRY, wave=step.wave,
        due_at=step.due_at + timedelta(days=campaign.expiry_days),
    )  # fmt: skip
    _tell(campaign, step.wave, due_on, first=True)
    step.counts = {"assigned": len(rows), "no_owner": nobody}
    return len(rows)


def check_ins_remind(step: CampaignStep) -> int:
    """Remind each person who still has conversations of the wave to hold; returns how many people were told."""
    open_ = CheckIn.objects.filter(
        organization=step.campaign.organization, campaign=step.campaign, wave=step.wave, state=CheckIn.State.OPEN
    )
    due_on = open_.order_by("due_on").values_list("due_on", flat=True).first()
    told = _tell(step.campaign, step.wave, due_on, first=False) if due_on else 0
    step.counts = {"reminded": told}
    return told


def check_ins_expire(step: CampaignStep) -> int:
    """At the due date, the wave's conversations not recorded are marked "not held in time"."""
    return CheckIn.objects.filter(
        organization=step.campaign.organization, campaign=step.campaign, wave=step.wave, state=CheckIn.State.OPEN
    ).update(state=CheckIn.State.MISSED)


def _tell(campaign: Campaign, wave: int, due_on: date | None, *, first: bool) -> int:
    organization = campaign.organization
    waiting = (
        CheckIn.objects.filter(organization=organization, campaign=campaign, wave=wave, state=CheckIn.State.OPEN)
        .values("assignee")
        .annotate(n=Count("pk"))
    )
    people = {user.pk: user for user in User.objects.filter(pk__in=[row["assignee"] for row in waiting])}
    for row in waiting:
        count = row["n"]
        title = (
            ngettext(
                "%(campaign)s: %(count)d customer conversation to hold by %(day)s",
                "%(campaign)s: %(count)d customer conversations to hold by %(day)s",
                count,
            )
            if first
            else ngettext(
                "Reminder — %(campaign)s: %(count)d customer conversation still to hold by %(day)s",
                "Reminder — %(campaign)s: %(count)d customer conversations still to hold by %(day)s",
                count,
            )
        ) % {"campaign": campaign.name, "count": count, "day": formats.date_format(due_on, "j M Y") if due_on else ""}
        notify(
            organization=organization, kind=NOTIFICATION, record=campaign, title=title,
            url=campaign.get_absolute_url(), recipients=[people[row["assignee"]]],
        )  # fmt: skip
    return len(people)


def check_in_record(
    *, check_in: CheckIn, actor: User, held_on: date, outcome: str, kind: str = FeedbackItem.Kind.SUGGESTION
) -> CheckIn:
    """Record a conversation: its outcome becomes a feedback item of channel "meeting" for the customer, received
    on the day it was held, assigned to whoever held it; the check-in is held and links it. Recorded once."""

    def prepare(locked: CheckIn) -> dict:
        if locked.state == CheckIn.State.HELD:
            raise ValidationError(_("This conversation is recorded already: its feedback item holds what was said."))
        if held_on > locked.organization.today():
            raise ValidationError({"held_on": _("A conversation cannot be recorded before it was held.")})
        item = feedback_create(
            organization=locked.organization, actor=actor, channel=FeedbackItem.Channel.MEETING, kind=kind,
            text=outcome, customer=locked.customer, received_on=held_on, assignee=locked.assignee,
        )  # fmt: skip
        return {"state": CheckIn.State.HELD, "held_on": held_on, "item": item}

    with transaction.atomic():
        check_in, _changes = audited_update(
            instance=check_in, actor=actor, action="check_in.record", prepare=prepare, related=("customer",)
        )
    return check_in
