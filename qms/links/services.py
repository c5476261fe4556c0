"""Making a link. The caller audits it on its own record's timeline, inside the same transaction."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from qms.accounts.models import User
from qms.audit.services import object_type_of
from qms.tenancy.models import Organization

from .models import Link


@dataclass(frozen=True)
class External:
    """An end that is not a model here: a record of another system or of a module not installed yet."""

    type: str
    id: str
    label: str


def _end(record: Model | External) -> tuple[str, str]:
    if isinstance(record, External):
        return record.type, record.id
    return object_type_of(record), str(record.pk)


def links_between(*, organization: Organization, first: Model | External, second: Model | External) -> QuerySet[Link]:
    (a_type, a_id), (b_type, b_id) = _end(first), _end(second)
    return Link.objects.filter(organization=organization).filter(
        Q(from_type=a_type, from_id=a_id, to_type=b_type, to_id=b_id)
        | Q(from_type=b_type, from_id=b_id, to_type=a_type, to_id=a_id)
    )


def link_create(*, organization: Organization, actor: User, source: Model, target: Model | External) -> Link:
    """Link two records of the organisation; refused when they are one record or already linked either way."""
    (from_type, from_id), (to_type, to_id) = _end(source), _end(target)
    if (from_type, from_id) == (to_type, to_id):
        raise ValidationError(_("A record cannot be linked to itself."))
    if links_between(organization=organization, first=source, second=target).exists():
        raise ValidationError(_("These records are already linked."))
    return Link.objects.create(
        organization=organization,
        from_type=from_type,
        from_id=from_id,
        to_type=to_type,
        to_id=to_id,
        to_label=target.label if isinstance(target, External) else "",
        created_by=actor,
    )
