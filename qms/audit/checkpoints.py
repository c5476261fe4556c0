"""Signed checkpoints of each organisation's audit chain (AuditCheckpoint): made by beat, checked by verify_audit.

A checkpoint holds the chain head's sequence and hash at a moment, signed with the organisation's key held outside
the database (signing.py). It leaves the database too: owners receive each one by email and may download the
latest, and `verify_audit --checkpoint FILE` checks the chain against such a copy, so events deleted together
with the checkpoint rows are still found.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from qms.outbox.services import email_enqueue
from qms.tenancy.models import Membership, Organization, Role

from .chain import canonical_json
from .models import AuditChainHead, AuditCheckpoint
from .signing import Signature, public_key_pem, sign, verify

FIELDS = ("organization", "slug", "seq", "hash", "created_at", "key_id", "signature")


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as exported: what was signed, and the signature."""

    organization: int
    slug: str
    seq: int
    hash: str
    created_at: str
    key_id: str
    signature: str

    def payload(self) -> bytes:
        signed = {"organization": self.organization, "slug": self.slug, "seq": self.seq, "hash": self.hash,
                  "created_at": self.created_at}  # fmt: skip
        return canonical_json(signed).encode()

    def is_signed(self) -> bool:
        signature = Signature(key_id=self.key_id, value=self.signature)
        return verify(organization_id=self.organization, payload=self.payload(), signature=signature)

    def as_json(self) -> str:
        return json.dumps({name: getattr(self, name) for name in FIELDS}, indent=2)


class CheckpointFileError(ValueError):
    """An exported checkpoint that cannot be read."""


def checkpoint_of(row: AuditCheckpoint, organization: Organization) -> Checkpoint:
    return Checkpoint(organization.pk, organization.slug, row.seq, row.hash, row.created_at.isoformat(), row.key_id,
                      row.signature)  # fmt: skip


def checkpoint_from_json(text: str) -> Checkpoint:
    """An exported checkpoint (a file, or the text of the owners' email), checked for shape only."""
    try:
        data: Any = json.loads(text)
        values = {name: data[name] for name in FIELDS}
    except (ValueError, TypeError, KeyError) as exc:
        raise CheckpointFileError(f"not an audit checkpoint: {exc}") from exc
    if not (isinstance(values["organization"], int) and isinstance(values["seq"], int)):
        raise CheckpointFileError("not an audit checkpoint: organization and seq must be numbers")
    if parse_datetime(str(values["created_at"])) is None:
        raise CheckpointFileError("not an audit checkpoint: created_at is not a date and time")
    return Checkpoint(
        organization=values["organization"],
        slug=str(values["slug"]),
        seq=values["seq"],
        hash=str(values["hash"]),
        created_at=str(values["created_at"]),
        key_id=str(values["key_id"]),
        signature=str(values["signature"]),
    )


def latest_checkpoint(*, organization: Organization) -> Checkpoint | None:
    row = AuditCheckpoint.objects.filter(organization=organization).order_by("-seq").first()
    return checkpoint_of(row, organization) if row else None


def audit_checkpoint_create(*, organization: Organization) -> AuditCheckpoint | None:
    """Sign the chain's head now (inside the organisation's context), unless nothing was appended since the last
    checkpoint; each owner receives it by email, in the same transaction."""
    with transaction.atomic():
        head = AuditChainHead.objects.get(organization=organization)
        latest = AuditCheckpoint.objects.filter(organization=organization).order_by("-seq").first()
        if head.seq == 0 or (latest is not None and latest.seq >= head.seq):
            return None
        created_at = timezone.now()
        unsigned = Checkpoint(organization.pk, organization.slug, head.seq, head.hash, created_at.isoformat(), "", "")
        signature = sign(organization_id=organization.pk, payload=unsigned.payload())
        row = AuditCheckpoint.objects.create(
            organization=organization,
            seq=head.seq,
            hash=head.hash,
            created_at=created_at,
            key_id=signature.key_id,
            signature=signature.value,
        )
        checkpoint = checkpoint_of(row, organization)
        owners = Membership.objects.active().filter(organization=organization, role=Role.OWNER).select_related("user")
        context = {
            "checkpoint": checkpoint,
            "checkpoint_json": checkpoint.as_json(),
            "public_key": public_key_pem(organization_id=organization.pk, key_id=signature.key_id),
        }
        for owner in owners:
            email_enqueue(
                organization=organization,
                to=owner.user.email,
                template="audit-checkpoint",
                context=context,
                recipient=owner.user,
            )
    return row
