"""Personal data in the audit trail, sealed so that erasure can reach it (crypto-shredding).

Audit events are append-only and hash-chained: an erasure cannot rewrite them. So the values of personal fields
(a contact's name, email and phone; a feedback item's submitter, text and contact) are written sealed: encrypted
with the keys of their subjects, kept in PersonalDataKey. The chain hashes the sealed form, so verifying it needs
no key. Readers (the trail, its CSV, the API, a feedback item's timeline) unseal a page of events with one query
for their keys. Erasing a subject deletes its key: from then on its sealed values read as "[erased]", while the
events, their order and their hashes stay as they were.

The keys follow the person, not the record's current link. A value is sealed under the record's own key AND the
keys of the people the record is about at that side of the change (the relations its model names in
`personal_relations`, e.g. a feedback item's contact): the key is derived from all of them, so erasing any one
makes the value unreadable. A change that moves an item from contact A to contact B seals what it leaves (A's
name, the text as A's) under A's key and what it leads to under B's: erasing A later reaches every value written
while the item was A's, wherever the item is now, and leaves B's readable. A module gets this by declaring
`personal_fields` and `personal_relations` on its model and writing through qms/audit/writes.py.

A sealed value is {"sealed": "<subject>" or ["<subject>", ...], "token": "<Fernet token of the value as JSON>"};
the subjects are ids, not personal data, and they are what `records_sealed_for` finds a person's records by.
Events written before the keys followed the person (2026-12-01) are sealed under the record's key alone. Database
backups keep deleted keys until they expire: the retention of backups bounds how long erased data can be recovered.
"""

import base64
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db.models import ForeignKey, Model, TextField
from django.db.models.functions import Cast

from qms.tenancy.models import Organization

from .models import AuditEvent, PersonalDataKey

ERASED = "[erased]"
Subjects = tuple[str, ...]


def _subject(model: Model | type[Model], pk: object) -> str:
    meta = model._meta
    return f"{meta.app_label}.{meta.model_name}:{pk}"


def subject_of(obj: Model) -> str:
    return _subject(obj, obj.pk)


def subjects_of(obj: Model) -> list[str]:
    """The subject of the record now and under the former object types of its model (`audit_former_types`): events
    written before a model moved to another app sealed its data under the old name, and erasure shreds both."""
    return [subject_of(obj), *(f"{former}:{obj.pk}" for former in getattr(obj, "audit_former_types", ()))]


def sealing_subjects(obj: Model) -> Subjects:
    """Whose keys seal the record's personal values as it stands: its own, and those of the people its
    `personal_relations` point to now (a feedback item's contact)."""
    people = []
    for name in getattr(obj, "personal_relations", ()):
        field = obj._meta.get_field(name)
        assert isinstance(field, ForeignKey), f"{name} of personal_relations is not a foreign key"
        pk = getattr(obj, field.attname)  # the id: reading it loads no row
        if pk is not None:
            people.append(_subject(field.related_model, pk))
    return (subject_of(obj), *people)


@dataclass(frozen=True)
class Seal:
    """The personal fields of an event and whose keys seal their values: `subjects` for the values a change leads
    to, `before` for those it leaves when they are about someone else (a change that moved the record)."""

    fields: Collection[str]
    subjects: Subjects
    before: Subjects | None = None

    @classmethod
    def of(cls, obj: Model, *, before: Subjects | None = None) -> "Seal | None":
        """The record's model's `personal_fields`, sealed for the people of the record now (and of `before`)."""
        fields = getattr(obj, "personal_fields", ())
        return cls(fields=fields, subjects=sealing_subjects(obj), before=before) if fields else None


def _is_sealed(value: object) -> bool:
    return isinstance(value, dict) and set(value) == {"sealed", "token"}


def _subjects_in(value: dict) -> Subjects:
    sealed = value["sealed"]
    return (sealed,) if isinstance(sealed, str) else tuple(sealed)


def _fernet(keys: Sequence[str]) -> Fernet:
    """One subject's own key, or a key derived from several (all of them are needed to read what it seals)."""
    if len(keys) == 1:
        return Fernet(keys[0].encode())
    material = b"".join(base64.urlsafe_b64decode(key) for key in keys)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"audit-seal").derive(material)
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys_for(*, organization: Organization, subjects: Iterable[str]) -> dict[str, str]:
    """The subjects' keys, made on first use."""
    wanted = set(subjects)
    keys = dict(
        PersonalDataKey.objects.filter(organization=organization, subject__in=wanted).values_list("subject", "key")
    )
    for subject in sorted(wanted - set(keys)):
        key, _ = PersonalDataKey.objects.get_or_create(
            organization=organization, subject=subject, defaults={"key": Fernet.generate_key().decode()}
        )
        keys[subject] = key.key
    return keys


def seal_changes(*, organization: Organization, changes: dict, seal: Seal) -> dict:
    """The changes with every value of the seal's fields sealed: the values a change leads to under the keys of
    `seal.subjects`, those it leaves under the keys of `seal.before` (the same subjects unless it says otherwise)."""
    personal = [
        name
        for name, pair in changes.items()
        if name in seal.fields and isinstance(pair, list) and any(v not in (None, "") for v in pair)
    ]
    if not personal:
        return changes
    sides = [tuple(dict.fromkeys(side)) for side in (seal.before or seal.subjects, seal.subjects)]
    keys = _keys_for(organization=organization, subjects={s for side in sides for s in side})
    fernets = [_fernet([keys[s] for s in side]) for side in sides]

    def sealed(value: Any, side: int) -> Any:
        if value is None or value == "":
            return value  # "no value" is not personal data, and the trail shows it as "—"
        subjects = sides[side]
        token = fernets[side].encrypt(json.dumps(value).encode()).decode()
        return {"sealed": subjects[0] if len(subjects) == 1 else list(subjects), "token": token}

    return {
        name: [sealed(v, side) for side, v in enumerate(pair)] if name in personal else pair
        for name, pair in changes.items()
    }


def unseal_events(*, organization: Organization, events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Replace sealed values in the events' changes (in memory only) with what they were, or "[erased]"."""
    events = list(events)
    subjects = {
        subject
        for event in events
        for pair in event.changes.values()
        if isinstance(pair, list)
        for value in pair
        if _is_sealed(value)
        for subject in _subjects_in(value)
    }
    if not subjects:
        return events
    keys = dict(
        PersonalDataKey.objects.filter(organization=organization, subject__in=subjects).values_list("subject", "key")
    )
    fernets: dict[Subjects, Fernet] = {}

    def unsealed(value: Any) -> Any:
        if not _is_sealed(value):
            return value
        sealed_for = _subjects_in(value)
        if any(subject not in keys for subject in sealed_for):
            return ERASED
        if sealed_for not in fernets:
            fernets[sealed_for] = _fernet([keys[subject] for subject in sealed_for])
        try:
            return json.loads(fernets[sealed_for].decrypt(value["token"].encode()))
        except InvalidToken:
            return ERASED

    for event in events:
        event.changes = {
            name: [unsealed(v) for v in pair] if isinstance(pair, list) else pair
            for name, pair in event.changes.items()
        }
    return events


def records_sealed_for(*, organization: Organization, subjects: Collection[str], model: type[Model]) -> set[str]:
    """The ids of the model's records with a value sealed for any of the subjects: every record that was ever about
    the person, including those that since moved to someone else (read before the subjects' keys are shredded)."""
    meta = model._meta
    object_types = [f"{meta.app_label}.{meta.model_name}", *getattr(model, "audit_former_types", ())]
    events = AuditEvent.objects.filter(organization=organization, object_type__in=object_types).annotate(
        stored=Cast("changes", TextField())
    )
    found: set[str] = set()
    for subject in subjects:
        found.update(events.filter(stored__contains=json.dumps(subject)).values_list("object_id", flat=True))
    return found


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
