"""Writes to the register of monitoring methods (clause 9.1.2); each one audited."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.models import MethodReview, MonitoringMethod
from qms.accounts.models import User
from qms.audit.services import audit_record, diff
from qms.audit.writes import audited_state, audited_update
from qms.tenancy.access import WRITERS
from qms.tenancy.models import Membership, Organization

EDITABLE = ("name", "kind", "description", "owner", "review_frequency", "last_reviewed_on")


def _check_owner(*, organization: Organization, owner: User | None) -> None:
    members = Membership.objects.active().filter(organization=organization, role__in=WRITERS)
    if owner is not None and not members.filter(user=owner).exists():
        raise ValidationError({"owner": _("The owner must be an owner, manager or staff member of this organisation.")})


def method_create(
    *,
    organization: Organization,
    actor: User,
    name: str,
    kind: str,
    description: str = "",
    owner: User | None = None,
    review_frequency: str = MonitoringMethod.Frequency.QUARTERLY,
    last_reviewed_on: date | None = None,
) -> MonitoringMethod:
    _check_owner(organization=organization, owner=owner)
    with transaction.atomic():
        method = MonitoringMethod.objects.create(
            organization=organization,
            name=name,
            kind=kind,
            description=description,
            owner=owner,
            review_frequency=review_frequency,
            last_reviewed_on=last_reviewed_on,
        )
        audit_record(
            organization=organization,
            actor=actor,
            action="monitoring_method.create",
            obj=method,
            changes=diff({}, audited_state(method, EDITABLE)),
        )
    return method


def method_update(*, method: MonitoringMethod, actor: User, **fields: Any) -> MonitoringMethod:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"method_update cannot change {sorted(unknown)}")

    def prepare(locked: MonitoringMethod) -> None:
        if "owner" in fields and fields["owner"] != locked.owner:
            _check_owner(organization=locked.organization, owner=fields["owner"])

    method, _updated = audited_update(
        instance=method, actor=actor, action="monitoring_method.update", data=fields, prepare=prepare
    )
    return method


NOTES_NEEDED = _("Say what needs to change, and why: the next review starts from it.")


def method_review(  # noqa: PLR0913 - a review is these facts
    *,
    method: MonitoringMethod,
    actor: User,
    outcome: str,
    notes: str = "",
    reviewed_on: date | None = None,
    today: date | None = None,
) -> MonitoringMethod:
    """Record a review of the method's effectiveness: its outcome, notes (needed unless it is effective as it is)
    and the day it was held (today unless said; never in the future). The review is kept in the method's history;
    the method's next review is one period after its latest. A second review on one day is recorded too."""
    today = today or method.organization.today()
    reviewed_on = reviewed_on or today
    notes = notes.strip()
    if outcome not in MethodReview.Outcome.values:
        raise ValidationError({"outcome": _("Choose what the review concluded.")})
    if outcome != MethodReview.Outcome.EFFECTIVE and not notes:
        raise ValidationError({"notes": NOTES_NEEDED})
    if reviewed_on > today:
        raise ValidationError(
            {"reviewed_on": _("A review cannot be recorded before it is held: choose today or earlier.")}
        )

    def prepare(locked: MonitoringMethod) -> dict[str, date]:
        if locked.retired_at is not None:
            raise ValidationError(_("A retired method is no longer reviewed."))
        MethodReview.objects.create(
            organization_id=locked.organization_id,
            method=locked,
            reviewed_on=reviewed_on,
            outcome=outcome,
            notes=notes,
            reviewed_by=actor,
        )
        latest = max(filter(None, [locked.last_reviewed_on, reviewed_on]))
        return {"last_reviewed_on": latest}

    method, _updated = audited_update(
        instance=method,
        actor=actor,
        action="monitoring_method.review",
        prepare=prepare,
        extra_changes={
            "reviewed_on": [None, reviewed_on.isoformat()],
            "outcome": [None, outcome],
            **({"notes": [None, notes]} if notes else {}),
        },
    )
    return method


def method_retire(*, method: MonitoringMethod, actor: User) -> MonitoringMethod:
    def prepare(locked: MonitoringMethod) -> dict[str, Any]:
        if locked.retired_at is not None:
            raise ValidationError(_("This method is already retired."))
        return {"retired_at": timezone.now()}

    method, _updated = audited_update(instance=method, actor=actor, action="monitoring_method.retire", prepare=prepare)
    return method
