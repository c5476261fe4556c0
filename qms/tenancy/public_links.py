"""Public links found by their token (/r/<token>/, /u/<token>/, /t/<token>/): the token's hash, the organisation it
belongs to, and the limit on guessing.

A module declares its links (`ModuleConfig.token_links`: a `qms.modules.TokenLink(prefix, organization_of)`) and
their routes (`link_urlpatterns` of its `urls` module, mounted at the site's root in the namespace `links`).
qms.tenancy.middleware.TenantMiddleware hashes the URL's `token`, asks the module's `organization_of(token_hash=…)`
(a SECURITY DEFINER crossing on PostgreSQL) and runs the view inside that organisation's context, like a staff
request; a token that belongs to no organisation runs the view with `request.organization = None`, and the view
answers `unknown_link(request)`.

Each unknown token is a miss of the address it came from (a keyed hash, never the address); an address with more
than PUBLIC_LINK_MISSES_PER_HOUR misses in the last hour gets the unknown page for every link, valid or not, so a
guesser cannot tell when a guess was right.
"""

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .context import _START as START
from .context import entered_from_row, organization_context
from .models import LinkMiss, Organization
from .resolution import ORGANIZATION
from .sql import Columns, execute

MISS_WINDOW = timedelta(hours=1)


class OrganizationOf(Protocol):
    """What a TokenLink's `organization_of` is: called with the token's hash, answers an organisation id or None."""

    def __call__(self, *, token_hash: str) -> int | None: ...


def new_token() -> str:
    """A link's secret: 128 random bits, 22 URL-safe characters. Only its hash is stored."""
    return secrets.token_urlsafe(16)


def token_hash(token: str) -> str:
    """How every token is stored and looked up (links, invitations, API keys): its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def address_hash(ip: str | None) -> str:
    """A keyed hash of a visitor's address: enough to count what it sends, useless for finding the person."""
    return hashlib.sha256((settings.SECRET_KEY + (ip or "unknown")).encode()).hexdigest()


def link_misses(*, address: str) -> int:
    """The unknown tokens an address (its hash) asked for in the last hour."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_misses_sql(connection.vendor)}", _misses_params(address))
        return int(cursor.fetchone()[0])


@cache
def _misses_sql(vendor: str) -> str:
    """The count of an address's misses (two parameters: `_misses_params`), as a scalar subquery."""
    misses = Columns(LinkMiss, "m")
    where = f"{misses.column('ip_hash')} = %s AND {misses.column('created_at')} >= %s"
    return f"(SELECT count(*) FROM {misses.table()} WHERE {where})"  # noqa: S608 - names from the model


def _misses_params(address: str) -> list[Any]:
    since = LinkMiss._meta.get_field("created_at").get_db_prep_value(timezone.now() - MISS_WINDOW, connection)
    return [address, since]


def link_miss_record(*, address: str) -> None:
    """Count an unknown token against the address, and forget the misses older than the window."""
    now = timezone.now()
    LinkMiss.objects.filter(created_at__lt=now - MISS_WINDOW).delete()
    LinkMiss.objects.create(ip_hash=address, created_at=now)


@contextmanager
def link_organization_context(
    *, organization_of: OrganizationOf, token: str, address: str, organization_sql: str = ""
) -> Iterator[Organization | None]:
    """A token link's request transaction, run as the organisation its token belongs to: yields it, or None (and
    no context) for an unknown token (a miss of the address) and for any token from an address past its misses,
    which is not even looked up.

    As `context.request_organization_context` does for a slug: on PostgreSQL the organisation's row is read with
    what the seal binds to, and when this transaction is the outermost one its end discards the setting. With
    `organization_sql` (the TokenLink's), PostgreSQL reads the token's organisation in that same statement."""
    outermost = not connection.in_atomic_block and connection.get_autocommit()
    with transaction.atomic():
        row = _linked(organization_of=organization_of, organization_sql=organization_sql, token=token, address=address)
        if row is None:
            yield None
            return
        if connection.vendor != "postgresql":
            organization = ORGANIZATION.instance(row[: len(ORGANIZATION)])
            with organization_context(organization):
                yield organization
            return
        with entered_from_row(row, outermost=outermost) as entered:
            yield entered


def _linked(
    *, organization_of: OrganizationOf, organization_sql: str, token: str, address: str
) -> tuple[Any, ...] | None:
    """The row of the token's organisation (and on PostgreSQL what the seal binds to), or None: a miss, or an
    address past its misses. A token that leads somewhere counts the address's misses in the same statement; only
    an unknown one asks for them apart, and is not even looked up from an address past them."""
    hashed, limit = token_hash(token), settings.PUBLIC_LINK_MISSES_PER_HOUR
    inline = organization_sql if connection.vendor == "postgresql" else ""
    organization_id = hashed if inline else organization_of(token_hash=hashed)
    if organization_id:
        with connection.cursor() as cursor:
            execute(cursor, _organization_sql(connection.vendor, inline), [*_misses_params(address), organization_id])
            row = cursor.fetchone()
        if row is not None:
            misses = len(ORGANIZATION)
            return None if row[misses] > limit else row[:misses] + row[misses + 1 :]
    if link_misses(address=address) <= limit:
        link_miss_record(address=address)
    return None


@cache
def _organization_sql(vendor: str, organization_sql: str = "") -> str:
    """The organisation of an id, its columns first, then the address's misses (and on PostgreSQL what the seal
    binds to): parameters the address, the window's start, the id (or the token's hash, which `organization_sql`
    turns into the id)."""
    start = f", {START}" if vendor == "postgresql" else ""
    columns, table, pk = ORGANIZATION.sql(), ORGANIZATION.table(), ORGANIZATION.column("id")
    misses, organization_id = _misses_sql(vendor), f"({organization_sql})" if organization_sql else "%s"
    return f"SELECT {columns}, {misses}{start} FROM {table} WHERE {pk} = {organization_id}"  # noqa: S608 - names


def unknown_link(request: HttpRequest) -> HttpResponse:
    """The page of a link that leads nowhere (mistyped, withdrawn, or guessed): the same for every such link."""
    return render(request, "links/unknown.html", status=404)
