"""Reading a record's links, both directions, each other end resolved to its record in one query per type."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.apps import apps
from django.db.models import Model, Q

from qms.audit.services import object_type_of
from qms.tenancy.models import Organization, TenantOwned

from .models import Link


@dataclass(frozen=True)
class LinkedRecord:
    """The other end of one link, as a record's page shows it."""

    label: str
    url: str
    outgoing: bool  # made from this record (else from the other one)
    created_at: datetime
    record: Model | None


def _model(object_type: str) -> type[TenantOwned] | None:
    try:
        return cast(type[TenantOwned], apps.get_model(object_type))  # a link joins one organisation's records
    except (LookupError, ValueError):
        return None


def _resolve(organization: Organization, ends: set[tuple[str, str]]) -> dict[tuple[str, str], Model]:
    by_type: dict[str, set[str]] = defaultdict(set)
    for object_type, object_id in ends:
        by_type[object_type].add(object_id)
    found: dict[tuple[str, str], Model] = {}
    for object_type, ids in by_type.items():
        model = _model(object_type)
        if model is None:
            continue
        pks = [int(pk) for pk in ids if pk.isdigit()]
        for record in model.objects.filter(organization=organization, pk__in=pks):
            record.organization = organization  # its URL needs the slug; spare a query per record
            found[(object_type, str(record.pk))] = record
    return found


def _label(record: Model) -> str:
    return getattr(record, "link_label", None) or str(record)


def links_of(*, organization: Organization, record: Model) -> list[LinkedRecord]:
    """Every record linked to this one, whichever side made the link, oldest link first."""
    own_type, own_id = object_type_of(record), str(record.pk)
    links = list(
        Link.objects.filter(organization=organization).filter(
            Q(from_type=own_type, from_id=own_id) | Q(to_type=own_type, to_id=own_id)
        )
    )
    others = [
        (link, True, (link.to_type, link.to_id)) if link.from_id == own_id and link.from_type == own_type
        else (link, False, (link.from_type, link.from_id))
        for link in links
    ]  # fmt: skip
    records = _resolve(organization, {end for _, _, end in others})
    shown = []
    for link, outgoing, end in others:
        other = records.get(end)
        label = _label(other) if other is not None else (link.to_label or f"{end[0]} {end[1]}")
        url = other.get_absolute_url() if other is not None and hasattr(other, "get_absolute_url") else ""
        shown.append(LinkedRecord(label=label, url=url, outgoing=outgoing, created_at=link.created_at, record=other))
    return shown
