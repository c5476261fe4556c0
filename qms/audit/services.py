from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from qms.accounts.models import User
from qms.tenancy.models import Organization

from .chain import event_hash, normalise
from .models import GENESIS_HASH, AuditChainHead, AuditEvent
from .sealing import Seal, seal_changes

SYSTEM_LABEL = "system"
CHAIN_LOCK = 0x61756469 << 32  # the advisory lock of an organisation's chain: this namespace plus its id


def object_type_of(model: Model | type[Model]) -> str:
    """The audit object type of a model or instance: "app_label.model_name"."""
    meta = model._meta
    return f"{meta.app_label}.{meta.model_name}"


def object_types_of(model: Model | type[Model]) -> tuple[str, ...]:
    """Its object type now and the ones its events were written under before it moved to another app (a model
    declares them as `audit_former_types`): a record's history is read under all of them."""
    return (object_type_of(model), *getattr(model, "audit_former_types", ()))


def object_label(obj: Model) -> tuple[str, str, str]:
    """(type, id, name) of a record in an event; a model whose str() is personal data names itself `audit_name`."""
    return object_type_of(obj), str(obj.pk or ""), (getattr(obj, "audit_name", None) or str(obj))[:300]


def snapshot(obj: Model, fields: Iterable[str]) -> dict:
    return {name: normalise(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def _changed_only(changes: dict) -> dict:
    """Drop [before, after] pairs that are equal, e.g. an empty optional field on creation."""
    return {k: v for k, v in changes.items() if not (isinstance(v, list) and len(v) == 2 and v[0] == v[1])}


def audit_chain_start(*, organization: Organization) -> AuditChainHead:
    return AuditChainHead.objects.create(organization=organization, seq=0, hash=GENESIS_HASH)


def audit_record(
    *,
    organization: Organization,
    actor: User | AnonymousUser | None,
    action: str,
    obj: Model | None = None,
    changes: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    personal: Seal | None = None,
) -> AuditEvent:
    """Append one event to the organisation's chain, inside the caller's transaction.

    `personal` names the personal fields and whose keys seal their values (sealing.py), so that erasing any of
    those subjects later makes them unreadable without touching the chain. For `obj`, it defaults to its model's
    `personal_fields`, sealed for the record and the people it is about now (audited_update passes who it was
    about before the change, too).

    Writers of one organisation queue up behind each other instead of forking the chain: on PostgreSQL a
    transaction-level advisory lock per organisation (the application role may not lock the head row, which only
    the database's trigger moves: qms/audit/migrations/0005), on SQLite the IMMEDIATE transaction's write lock.
    On PostgreSQL the trigger also refuses an event that does not extend the head, and advances it.
    """
    if obj is not None:
        object_type, object_id, object_repr = object_label(obj)
        if personal is None:
            personal = Seal.of(obj)
    changes = _changed_only(normalise(changes or {}))
    with transaction.atomic(savepoint=False):
        if personal is not None:
            changes = seal_changes(organization=organization, changes=changes, seal=personal)
        postgres = connection.vendor == "postgresql"
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK + organization.pk])
        head = AuditChainHead.objects.get(organization=organization)
        event = AuditEvent(
            organization=organization,
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=(actor.email if actor is not None and actor.is_authenticated else SYSTEM_LABEL)[:254],
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:300],
            changes=changes,
            prev_hash=head.hash,
        )
        event.hash = event_hash(head.hash, event)
        event.save(force_insert=True)
        if not postgres:  # on PostgreSQL the insert's trigger advances the head
            AuditChainHead.objects.filter(pk=head.pk).update(seq=event.seq, hash=event.hash)
    return event
