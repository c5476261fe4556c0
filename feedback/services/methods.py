"""Writes to the register of monitoring methods (clause 9.1.2); each one audited."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.models import MonitoringMethod
from qms.accounts.models import User
from qms.audit.services import audit_record, diff
from qms.audit.writes import audited_state, audited_update
from qms.tenancy.access import WRITERS
from qms.tenancy.models import Membership, Organization

EDITABLE = ("name", "kind", "description", "owner", "review_frequency", "last_reviewed_on")


def _check_owner(*, organization: Organization, owner: User | None) -> None:
    members = Membership.objects.active().filter(organization=organization, role__in=WRITERS)
    if owner is not None and not members.filter(user=owner).exists():
        raise ValidationError({"owner": "The owner must be an owner, manager or staff member of this organisation."})


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

    method, _ = audited_update(
        instance=method, actor=actor, action="monitoring_method.update", data=fields, prepare=prepare
    )
    return method


def method_review(*, method: MonitoringMethod, actor: User, today: date | None = None) -> MonitoringMethod:
    """Record that the method was reviewed today: its next review is one period from now. A second review on
    the same day is recorded too: the register shows who reviewed it, and when."""
    today = today or timezone.localdate()

    def prepare(locked: MonitoringMethod) -> dict[str, date]:
        if locked.retired_at is not None:
            raise ValidationError("A retired method is no longer reviewed.")
        return {"last_reviewed_on": today}

    method, _ = audited_update(
        instance=method,
        actor=actor,
        action="monitoring_method.review",
        prepare=prepare,
        extra_changes={"reviewed_on": [None, today.isoformat()]},
    )
    return method


def method_retire(*, method: MonitoringMethod, actor: User) -> MonitoringMethod:
    def prepare(locked: MonitoringMethod) -> dict[str, Any]:
        if locked.retired_at is not None:
            raise ValidationError("This method is already retired.")
        return {"retired_at": timezone.now()}

    method, _ = audited_update(instance=method, actor=actor, action="monitoring_method.retire", prepare=prepare)
    return method
