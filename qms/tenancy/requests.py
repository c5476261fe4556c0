"""The requests the domain apps' views receive, with the attributes middleware sets on them, for the type checker.

qms.tenancy.middleware.TenantMiddleware sets `request.organization` on every request under /o/, /api/v1/o/, /p/
and a module's token links (None there for an unknown token) and, on a staff page (/o/), `request.membership`,
after making sure a user is signed in; django-htmx's middleware sets `request.htmx` on every request. Django's
HttpRequest (and DRF's Request) declare none of them. A view annotates its request as one of these classes; Django
still hands it a plain HttpRequest (or DRF's Request) and no instance of them is ever made: the classes only declare
what the middleware guarantees.
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from qms.accounts.models import User
from qms.tenancy.models import Membership, Organization


class OrganizationRequest(HttpRequest):
    """Any request under /p/<org_slug>/, /o/<org_slug>/ or /api/v1/o/<org_slug>/: the URL's organisation."""

    organization: Organization
    htmx: HtmxDetails


class LinkRequest(HttpRequest):
    """A public link's request (/r/<token>/ …, qms.tenancy.public_links): the organisation its token belongs to, or
    None for a token of no organisation (or an address past its guesses), whose view answers `unknown_link`."""

    organization: Organization | None
    htmx: HtmxDetails


class MemberRequest(OrganizationRequest):
    """A staff page's request under /o/<org_slug>/: a signed-in user with an active membership of the organisation."""

    user: User
    membership: Membership


class MemberApiRequest(Request):
    """An API request under /api/v1/o/<org_slug>/ that IsOrganizationMember let through: an authenticated member
    (by token or session) of the URL's organisation. Its membership is `qms.tenancy.api.api_membership(request)`."""

    organization: Organization
    user: User
