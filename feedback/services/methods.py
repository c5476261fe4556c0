"""Writes to the register of monitoring methods (clause 9.1.2); each one audited."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.models import MonitoringMethod
from qms.audit.services import audit_record, diff, snapshot
from qms.tenancy.access import WRITERS
from qms.tenancy.models import Membership

EDITABLE = ("name", "kind", "description", "owner", "review_frequency", "last_reviewed_on")


def _check_owner(*, organization, owner) -> None:
    members = Membership.objects.active().filter(organization=organization, role__in=WRITERS)
    if owner is not None and not members.filter(user=owner).exists():
        raise ValidationError({"owner": "The owner must be an owner, manager or staff member of this organisation."})


def method_create(
    *,
    organization,
    actor,
    name: str,
    kind: str,
    description: str = "",
    owner=None,
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
            changes=diff({}, snapshot(method, EDITABLE)),
        )
    return method


def method_update(*, method: MonitoringMethod, actor, **fields) -> MonitoringMethod:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"method_update cannot change {sorted(unknown)}")
    if "owner" in fields and fields["owner"] != method.owner:
        _check_owner(organization=method.organization, owner=fields["owner"])
    with transaction.atomic():
        method = MonitoringMethod.objects.select_for_update().get(pk=method.pk)
        before = snapshot(method, EDITABLE)
        for name, value in fields.items():
            setattr(method, name, value)
        changes = diff(before, snapshot(method, EDITABLE))
        if changes:
            method.save(update_fields=list(fields))
            audit_record(
                organization=method.organization,
                actor=actor,
                action="monitoring_method.update",
                obj=method,
                changes=changes,
            )
    return method


def method_review(*, method: MonitoringMethod, actor, today: date | None = None) -> MonitoringMethod:
    """Record that the method was reviewed today: its next review is one period from now."""
    today = today or timezone.localdate()
    with transaction.atomic():
        method = MonitoringMethod.objects.select_for_update().get(pk=method.pk)
        if method.retired_at is not None:
            raise ValidationError("A retired method is no longer reviewed.")
        before = method.last_reviewed_on
        method.last_reviewed_on = today
        method.save(update_fields=["last_reviewed_on"])
        audit_record(
            organization=method.organization,
            actor=actor,
            action="monitoring_method.review",
            obj=method,
            changes={"last_reviewed_on": [before, today]},
        )
    return method


def method_retire(*, method: MonitoringMethod, actor) -> MonitoringMethod:
    with transaction.atomic():
        method = MonitoringMethod.objects.select_for_update().get(pk=method.pk)
        if method.retired_at is not None:
            raise ValidationError("This method is already retired.")
        method.retired_at = timezone.now()
        method.save(update_fields=["retired_at"])
        audit_record(
            organization=method.organization,
            actor=actor,
            action="monitoring_method.retire",
            obj=method,
            changes={"retired_at": [None, method.retired_at]},
        )
    return method
