from collections.abc import Callable
from typing import cast

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from qms import modules
from qms.accounts.two_factor import REQUIRED, second_factor_missing

from .access import can_write
from .context import request_organization_context
from .locale import for_request
from .public_links import address_hash, link_organization_context
from .requests import LinkRequest, MemberRequest
from .selectors import membership_for_user

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
STAFF_PREFIX = "/o/"
API_PREFIX = "/api/v1/o/"
PUBLIC_PREFIX = "/p/"


class TenantMiddleware:
    """Resolves /o/<slug>/, /api/v1/o/<slug>/ and /p/<slug>/ to an organisation and runs the request in it; a
    module's token links (/r/<token>/ …) by their token's hash (qms.tenancy.public_links).

    The request runs in one transaction with the organisation's scope and RLS setting
    (`context.request_organization_context`), rolled back when the answer is a server error, so a half-done write
    never stays. Staff pages need an active
    membership (else 404, never 403); an auditor gets 403 on any unsafe method. API membership is checked by DRF
    after token authentication (qms.tenancy.api).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        link = modules.token_link_for(path)
        if link is not None:
            return self.token_link(request, link)
        if not path.startswith((STAFF_PREFIX, API_PREFIX, PUBLIC_PREFIX)):
            return self.get_response(request)
        try:
            slug = resolve(path).kwargs.get("org_slug")
        except Resolver404:
            slug = None
        if slug is None:
            return self.get_response(request)
        if path.startswith(STAFF_PREFIX) and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        with request_organization_context(slug) as organization:  # the transaction, the lookup, scope + RLS
            if organization is None:
                raise Http404(_("No such organisation."))
            tenant_request = cast(MemberRequest, request)  # what this middleware sets, from here on
            tenant_request.organization = organization
            if path.startswith(STAFF_PREFIX):
                membership = membership_for_user(organization=organization, user=request.user)
                if membership is None:
                    raise Http404(_("No such organisation."))
                tenant_request.membership = membership
                if second_factor_missing(tenant_request.user, organization=organization, role=membership.role):
                    messages.warning(request, str(REQUIRED).format(organization=organization.name))
                    return redirect("accounts:two_factor")
                if request.method not in SAFE_METHODS and not can_write(membership):
                    raise PermissionDenied(_("Your role is read-only in this organisation."))
            with for_request(request, organization):  # the person's language and time zone, else the organisation's
                response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # a request that failed keeps none of its writes, nor their emails
            return response

    def token_link(self, request: HttpRequest, link: modules.TokenLink) -> HttpResponse:
        """Run a token link's view in one transaction, inside the organisation its token belongs to; with
        `request.organization = None` and no context when it belongs to none (or the address guessed too often)."""
        try:
            token = resolve(request.path_info).kwargs.get("token")
        except Resolver404:
            token = None
        if not isinstance(token, str):
            return self.get_response(request)
        link_of, address = modules.organization_of(link), address_hash(get_client_ip_address(request))
        with link_organization_context(
            organization_of=link_of, organization_sql=link.organization_sql, token=token, address=address
        ) as organization:
            link_request = cast(LinkRequest, request)
            link_request.organization = organization
            with for_request(request, organization):
                response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # as on every other branch: a failed request keeps none of its writes
            return response
