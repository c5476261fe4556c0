"""The application's few reads across organisations. Each answers one question with ids, never another
organisation's rows: on PostgreSQL through a SECURITY DEFINER function (qms/tenancy/rls.py), since the application
role has no way to lift the tenant policy; elsewhere (SQLite, no row-level security) the same query in the ORM.

A caller then works inside each organisation's own context (`organization_context`), where the policy applies.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q
from django_scopes import scopes_disabled

from qms.accounts.models import Invitation, User

from .models import Membership
from .rls import SYSTEM_ORGANIZATION


def crossing_ids(sql: str, params: Sequence[Any] = ()) -> list[int]:
    """The ids a crossing function answers (`SELECT app_<name>(%s)`), on PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [row[0] for row in cursor.fetchall() if row[0] is not None]


def invitation_organization(*, token_hash: str) -> int | None:
    """The organisation an invitation's token belongs to (before anyone is its member)."""
    if connection.vendor == "postgresql":
        found = crossing_ids("SELECT app_invitation_organization(%s)", [token_hash])
        return found[0] if found else None
    with scopes_disabled():
        return Invitation.objects.filter(token_hash=token_hash).values_list("organization_id", flat=True).first()


def memberships_of(*, user: User) -> list[tuple[int, int, str]]:
    """A person's own current memberships: (membership id, organisation id, role), for the organisation switcher."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM app_memberships_of(%s)", [user.pk])
            return [(m, o, r) for m, o, r in cursor.fetchall()]
    with scopes_disabled():
        return list(Membership.objects.active().filter(user=user).values_list("pk", "organization_id", "role"))


def organizations_with_mail_due(*, now: datetime) -> list[int]:
    """Organisations with email due to be relayed at `now`; SYSTEM_ORGANIZATION (0) for system mail."""
    if connection.vendor == "postgresql":
        return crossing_ids("SELECT app_organizations_with_mail_due(%s)", [now])
    from qms.outbox.models import OutboxMessage

    with scopes_disabled():
        due = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        )
        return sorted(
            {
                organization_id or SYSTEM_ORGANIZATION
                for organization_id in due.values_list("organization_id", flat=True)
            }
        )
