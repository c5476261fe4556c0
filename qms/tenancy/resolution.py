from functools import cache

from django.db import connection

from .models import Organization
from .sql import Columns, fetch_one

ORGANIZATION = Columns(Organization, "o")


@cache
def organization_by_slug_sql(vendor: str, also: str = "") -> str:
    """The SELECT of the organisation of a slug (one parameter), its columns first, then `also` (more columns)."""
    columns, table, slug = ORGANIZATION.sql(), ORGANIZATION.table(), ORGANIZATION.column("slug")
    return f"SELECT {columns}{also} FROM {table} WHERE {slug} = %s"  # noqa: S608 - names from the model, the slug a parameter


def resolve_organization(slug: str) -> Organization | None:
    """The one function that turns a URL's organisation slug into an Organization.

    Every request under /o/, /api/v1/o/ and /p/ makes this lookup, so it is hand-written SQL (qms.tenancy.sql);
    the middleware makes it in the same statement as the RLS setting (`context.request_organization_context`).
    """
    found = fetch_one(organization_by_slug_sql(connection.vendor), [slug], ORGANIZATION)
    return found[0] if found else None
