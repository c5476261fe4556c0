"""Claiming due mail: leases taken with `select_for_update(skip_locked=True)`, so that relays and workers running at
the same moment share a wave without overlap, within two limits per organisation: what it may have in flight at
once (OUTBOX_IN_FLIGHT: leased, queued or being sent) and how fast it may send (OUTBOX_RATE_PER_MINUTE, a token
bucket in the database, so it holds across workers and with Redis down). An organisation's claims are serialised by
its bucket's row lock; system mail (no organisation: the password reset) has the in-flight cap but no rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qms.tenancy.context import organization_context, system_context
from qms.tenancy.crossings import organizations_with_mail_due
from qms.tenancy.rls import SYSTEM_ORGANIZATION

from .models import OutboxMessage, OutboxSendRate

State = OutboxMessage.State


def outbox_claim_due(
    *, limit: int | None = None, now: datetime | None = None, organization_ids: Iterable[int] | None = None
) -> list[tuple[int | None, int]]:
    """Lease due messages, at most `limit` (OUTBOX_IN_FLIGHT) in all: the organisations with mail due come from a
    crossing (ids only) unless `organization_ids` names them (SYSTEM_ORGANIZATION for system mail), then each one's
    messages are claimed inside its own context. Returns (organisation id or None, message id), oldest due first."""
    now = now or timezone.now()
    limit = settings.OUTBOX_IN_FLIGHT if limit is None else limit
    claimed: list[tuple[int | None, int]] = []
    for organization_id in organizations_with_mail_due(now=now) if organization_ids is None else organization_ids:
        if len(claimed) >= limit:
            break
        system = organization_id == SYSTEM_ORGANIZATION
        with transaction.atomic(), system_context() if system else organization_context(organization_id):
            ids = _claim(None if system else organization_id, now=now, wanted=limit - len(claimed))
        claimed.extend((None if system else organization_id, pk) for pk in ids)
    return claimed


def outbox_claim_batches(
    *, limit: int | None = None, now: datetime | None = None, organization_ids: Iterable[int] | None = None
) -> list[tuple[int | None, list[int]]]:
    """outbox_claim_due in batches of OUTBOX_BATCH_SIZE messages of one organisation: one `outbox.send_batch` each."""
    size = max(settings.OUTBOX_BATCH_SIZE, 1)
    batches: list[tuple[int | None, list[int]]] = []
    for organization_id, pk in outbox_claim_due(limit=limit, now=now, organization_ids=organization_ids):
        if not batches or batches[-1][0] != organization_id or len(batches[-1][1]) >= size:
            batches.append((organization_id, []))
        batches[-1][1].append(pk)
    return batches


def _claim(organization_id: int | None, *, now: datetime, wanted: int) -> list[int]:
    bucket = _bucket(organization_id, now=now) if organization_id is not None else None
    leased = OutboxMessage.objects.filter(state=State.PENDING, lease_until__gte=now)
    due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), state=State.PENDING, next_attempt_at__lte=now
    )
    if organization_id is None:  # the system context lifts the scope, not the policy
        leased, due = leased.filter(organization__isnull=True), due.filter(organization__isnull=True)
    else:
        leased, due = leased.filter(organization_id=organization_id), due.filter(organization_id=organization_id)
    room = min(wanted, settings.OUTBOX_IN_FLIGHT - leased.count())
    limited = bucket is not None and sending_rate(bucket) > 0
    if bucket is not None and limited:
        room = min(room, int(bucket.tokens))
    if room <= 0:
        return []
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:room])
    if ids:
        lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        OutboxMessage.objects.filter(pk__in=ids).update(lease_until=lease)
        if bucket is not None and limited:
            OutboxSendRate.objects.filter(pk=bucket.pk).update(tokens=bucket.tokens - len(ids))
    return ids


def sending_rate(bucket: OutboxSendRate) -> int:
    """Emails a minute the organisation may send (0: no limit): its own rate, else the server's. An organisation
    may go slower than the server allows, never faster: the server's rate, when it has one, is the ceiling."""
    server, own = settings.OUTBOX_RATE_PER_MINUTE, bucket.per_minute
    if own is None or own == 0:
        return server
    return min(own, server) if server > 0 else own


def _bucket(organization_id: int, *, now: datetime) -> OutboxSendRate:
    """The organisation's bucket, locked until the claim's transaction ends, refilled up to now."""
    bucket = OutboxSendRate.objects.select_for_update().filter(organization_id=organization_id).first()
    if bucket is None:
        OutboxSendRate.objects.get_or_create(
            organization_id=organization_id,
            defaults={"tokens": float(settings.OUTBOX_RATE_PER_MINUTE), "refilled_at": now},
        )
        bucket = OutboxSendRate.objects.select_for_update().get(organization_id=organization_id)
    rate = sending_rate(bucket)
    if rate > 0:
        elapsed = max((now - bucket.refilled_at).total_seconds(), 0)
        refilled = min(float(rate), bucket.tokens + elapsed * rate / 60)
        if elapsed > 0 or refilled != bucket.tokens:
            bucket.tokens, bucket.refilled_at = refilled, max(now, bucket.refilled_at)
            OutboxSendRate.objects.filter(pk=bucket.pk).update(tokens=refilled, refilled_at=bucket.refilled_at)
    return bucket
