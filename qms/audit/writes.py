"""The one way a service writes a record: lock it, apply the values, diff, stamp, save what changed, record.

    method, changes = audited_update(instance=method, actor=actor, action="monitoring_method.update", data=fields)

What a model's events hold is declared on the model: `audited_fields` (the fields a diff covers),
`personal_fields` (those sealed, so that erasure reaches the trail) and `personal_relations` (the relations to the
people the record is about, whose keys seal them too; see sealing.py). An update that moves the record to another
person seals what it leaves for the person before and what it leads to for the person after.
HackSoft's `model_update` is the anchor; this one also locks the row, stamps `updated_at`, saves only the fields
that changed, and appends the audit event in the same transaction, with the personal values sealed.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from qms.tenancy.models import TenantOwned

from .sealing import Seal, sealing_subjects
from .services import audit_record, diff, snapshot

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

M = TypeVar("M", bound=TenantOwned)
State = Callable[[Any], dict]


def audited_state(instance: TenantOwned, fields: Iterable[str] | None = None) -> dict:
    """The audited fields' values as an event stores them (related records by their str())."""
    return snapshot(instance, tuple(fields if fields is not None else instance.audited_fields))


def created_changes(state: Mapping[str, Any]) -> dict:
    """The changes of a new record: each filled-in field as [None, value]."""
    return {field: [None, value] for field, value in state.items() if value not in ("", None)}


def _save(instance: models.Model, unique_error: "Mapping[str, StrOrPromise] | None", **kwargs: Any) -> None:
    """Save in a savepoint when a unique constraint may refuse it: a concurrent writer that took the same value
    gets the service's message on the form, not a 500."""
    if unique_error is None:
        instance.save(**kwargs)
        return
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError:
        raise ValidationError(dict(unique_error)) from None


def audited_create(
    *,
    instance: M,
    actor: Any,
    action: str,
    state: State | None = None,
    extra_changes: Mapping[str, list] | None = None,
    unique_error: "Mapping[str, StrOrPromise] | None" = None,
) -> M:
    """Insert the record and record its filled-in audited fields as the event of its creation."""
    with transaction.atomic():
        _save(instance, unique_error, force_insert=True)
        changes = {**(extra_changes or {}), **created_changes((state or audited_state)(instance))}
        audit_record(organization=instance.organization, actor=actor, action=action, obj=instance, changes=changes)
    return instance


def lock(instance: M, *related: str) -> M:
    """Re-read the record under a row lock (its own row only), so concurrent writers apply one after the other."""
    queryset = type(instance)._default_manager.select_for_update(of=("self",)).select_related(*related)
    return queryset.get(organization_id=instance.organization_id, pk=instance.pk)


def audited_update(
    *,
    instance: M,
    actor: Any,
    action: str,
    data: Mapping[str, Any] | None = None,
    prepare: Callable[[M], Mapping[str, Any] | None] | None = None,
    state: State | None = None,
    extra_changes: Mapping[str, list] | None = None,
    unique_error: "Mapping[str, StrOrPromise] | None" = None,
    related: tuple[str, ...] = (),
) -> tuple[M, dict]:
    """Lock the record; `prepare(locked)` checks it and returns what else changes (a transition's status, a
    timestamp); apply `data` and that; when an audited field changed, stamp `updated_at`, save only the changed
    fields, and record one event of the changes (plus `extra_changes`, for what lives in other tables).

    Returns the locked, updated record and the changes recorded ({} when nothing changed: nothing is saved)."""
    with transaction.atomic():
        locked = lock(instance, *related)
        values = dict(data or {})
        if prepare is not None:
            values.update(prepare(locked) or {})
        read_state = state or audited_state
        before, sealed_before = read_state(locked), sealing_subjects(locked)
        changed = [name for name, value in values.items() if _differs(locked, name, value)]
        for name in changed:
            setattr(locked, name, values[name])
        changes = {**diff(before, read_state(locked)), **(extra_changes or {})}
        if changed or changes:
            if hasattr(locked, "updated_at"):
                locked.updated_at = timezone.now()
                changed.append("updated_at")
            _save(locked, unique_error, update_fields=[_field_name(locked, name) for name in changed])
        if changes:
            audit_record(
                organization=locked.organization,
                actor=actor,
                action=action,
                obj=locked,
                changes=changes,
                personal=Seal.of(locked, before=sealed_before),
            )
    return locked, changes


def audited_soft_delete(*, instance: M, actor: Any, action: str) -> M:
    """Take a rule-like record away: it stays, `deleted_at` set and `active` off, for what it did and the trail;
    deleting it again changes nothing."""
    now = timezone.now()
    locked, _changes = audited_update(
        instance=instance,
        actor=actor,
        action=action,
        prepare=lambda record: {} if getattr(record, "deleted_at", None) else {"deleted_at": now, "active": False},
    )
    return locked


def _field_name(instance: models.Model, name: str) -> str:
    return instance._meta.get_field(name).name


def _differs(instance: models.Model, name: str, value: Any) -> bool:
    field = instance._meta.get_field(name)
    if isinstance(field, models.Field) and field.is_relation and field.many_to_one:
        current_id = getattr(instance, field.attname)
        return current_id != (value.pk if isinstance(value, models.Model) else value)
    return getattr(instance, name) != value
