"""The hash chain: hash = sha256(prev_hash || canonical JSON of the event)."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .models import AuditEvent


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def normalise(value: object) -> Any:
    """What the database will hand back for this value, so the hash of a stored row can be recomputed."""
    return json.loads(canonical_json(value))


def event_payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "organization": event.organization_id,
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
    }


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical_json(event_payload(event))).encode()).hexdigest()


@dataclass
class ChainBreak:
    seq: int
    position: int
    reason: str


def find_break(events: Iterable[AuditEvent], *, genesis: str) -> ChainBreak | None:
    """Walk events in seq order; return the first one that does not link or does not hash to what it says."""
    expected_prev = genesis
    for position, event in enumerate(events, start=1):
        if event.seq != position:
            return ChainBreak(event.seq, position, f"expected sequence number {position}, found {event.seq}")
        if event.prev_hash != expected_prev:
            return ChainBreak(event.seq, position, "previous-hash link does not match the event before it")
        if event_hash(event.prev_hash, event) != event.hash:
            return ChainBreak(event.seq, position, "content does not match its hash (the row was altered)")
        expected_prev = event.hash
    return None
