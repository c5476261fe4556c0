"""Personal data in the audit trail, sealed so that erasure can reach it (crypto-shredding).

Audit events are append-only and hash-chained: an erasure cannot rewrite them. So the values of personal fields
(a contact's name, email and phone; a feedback item's submitter, text and contact) are written sealed: encrypted
with a key of their own subject (the contact, the feedback item), kept in PersonalDataKey. The chain hashes the
sealed form, so verifying it needs no key. Readers (the trail, its CSV, the API, a feedback item's timeline)
unseal a page of events with one query for their keys. Erasing a subject deletes its key: from then on its sealed
values read as "[erased]", while the events, their order and their hashes stay as they were.

A sealed value is {"sealed": "<subject>", "token": "<Fernet token of the value as JSON>"}. Database backups keep
deleted keys until they expire: the retention of backups bounds how long erased data can be recovered.
"""

import json
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.db.models import Model

from qms.tenancy.models import Organization

from .models import AuditEvent, PersonalDataKey

ERASED = "[erased]"


def subject_of(obj: Model) -> str:
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}:{obj.pk}"


def subjects_of(obj: Model) -> list[str]:
    """The subject of the record now and under the former object types of its model (`audit_former_types`): events
    written before a model moved to another app sealed its data under the old name, and erasure shreds both."""
    return [subject_of(obj), *(f"{former}:{obj.pk}" for former in getattr(obj, "audit_former_types", ()))]


def _is_sealed(value: object) -> bool:
    return isinstance(value, dict) and set(value) == {"sealed", "token"}


def seal_changes(*, organization: Organization, changes: dict, subject: str, fields: Collection[str]) -> dict:
    """The changes with every value of the named fields sealed under the subject's key (made on first use)."""
    personal = [name for name in changes if name in fields]
    if not personal:
        return changes
    key, _ = PersonalDataKey.objects.get_or_create(
        organization=organization, subject=subject, defaults={"key": Fernet.generate_key().decode()}
    )
    fernet = Fernet(key.key.encode())

    def sealed(value: Any) -> Any:
        if value is None or value == "":
            return value  # "no value" is not personal data, and the trail shows it as "—"
        return {"sealed": subject, "token": fernet.encrypt(json.dumps(value).encode()).decode()}

    return {name: [sealed(v) for v in pair] if name in personal else pair for name, pair in changes.items()}


def unseal_events(*, organization: Organization, events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Replace sealed values in the events' changes (in memory only) with what they were, or "[erased]"."""
    events = list(events)
    subjects = {
        value["sealed"]
        for event in events
        for pair in event.changes.values()
        if isinstance(pair, list)
        for value in pair
        if _is_sealed(value)
    }
    if not subjects:
        return events
    keys = {
        subject: Fernet(key.encode())
        for subject, key in PersonalDataKey.objects.filter(organization=organization, subject__in=subjects).values_list(
            "subject", "key"
        )
    }

    def unsealed(value: Any) -> Any:
        if not _is_sealed(value):
            return value
        fernet = keys.get(value["sealed"])
        if fernet is None:
            return ERASED
        try:
            return json.loads(fernet.decrypt(value["token"].encode()))
        except InvalidToken:
            return ERASED

    for event in events:
        event.changes = {
            name: [unsealed(v) for v in pair] if isinstance(pair, list) else pair
            for name, pair in event.changes.items()
        }
    return events


def shred(*, organization: Organization, subjects: Iterable[str]) -> int:
    """Delete the subjects' keys: their sealed values in the audit trail can no longer be read. Returns how many."""
    deleted, _ = PersonalDataKey.objects.filter(organization=organization, subject__in=list(subjects)).delete()
    return deleted


def unsealed_stream(
    *, organization: Organization, events: Iterable[AuditEvent], batch: int = 2000
) -> Iterator[AuditEvent]:
    """unseal_events over a long iterator (an export), a batch of events and one query for their keys at a time."""
    pending: list[AuditEvent] = []
    for event in events:
        pending.append(event)
        if len(pending) >= batch:
            yield from unseal_events(organization=organization, events=pending)
            pending = []
    yield from unseal_events(organization=organization, events=pending)
