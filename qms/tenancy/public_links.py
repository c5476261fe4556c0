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
from datetime import timedelta
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .models import LinkMiss, Organization
from .resolution import ORGANIZATION
from .sql import Columns, fetch_one

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
    """The unknown tokens an address (its hash) asked for in the last hour (hand-written: every link asks)."""
    since = LinkMiss._meta.get_field("created_at").get_db_prep_value(timezone.now() - MISS_WINDOW, connection)
    with connection.cursor() as cursor:
        cursor.execute(_misses_sql(connection.vendor), [address, since])
        return int(cursor.fetchone()[0])


@cache
def _misses_sql(vendor: str) -> str:
    misses = Columns(LinkMiss, "m")
    where = f"{misses.column('ip_hash')} = %s AND {misses.column('created_at')} >= %s"
    return f"SELECT count(*) FROM {misses.table()} WHERE {where}"  # noqa: S608 - names from the model


def link_miss_record(*, address: str) -> None:
    """Count an unknown token against the address, and forget the misses older than the window."""
    now = timezone.now()
    LinkMiss.objects.filter(created_at__lt=now - MISS_WINDOW).delete()
    LinkMiss.objects.create(ip_hash=address, created_at=now)


def link_organization(*, organization_of: OrganizationOf, token: str, address: str) -> Organization | None:
    """The organisation a link's token belongs to, or None: for an unknown token (a miss of the address), and for
    any token from an address past its misses, which is not even looked up."""
    if link_misses(address=address) > settings.PUBLIC_LINK_MISSES_PER_HOUR:
        return None
    organization_id = organization_of(token_hash=token_hash(token))
    found = (
        fetch_one(_organization_sql(connection.vendor), [organization_id], ORGANIZATION) if organization_id else None
    )
    organization = found[0] if found else None
    if organization is None:
        link_miss_record(address=address)
    return organization


@cache
def _organization_sql(vendor: str) -> str:
    return f"SELECT {ORGANIZATION.sql()} FROM {ORGANIZATION.table()} WHERE {ORGANIZATION.column('id')} = %s"  # noqa: S608


def unknown_link(request: HttpRequest) -> HttpResponse:
    """The page of a link that leads nowhere (mistyped, withdrawn, or guessed): the same for every such link."""
    return render(request, "links/unknown.html", status=404)
