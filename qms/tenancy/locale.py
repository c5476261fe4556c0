"""The language and the time zone a page or an email is in.

A person's own choice comes first (their account's language and time zone, `qms.accounts.models.User`); then, for
the language, what their browser asks for (Accept-Language), when the product speaks it; then the organisation's
settings (`Organization.language`, `Organization.time_zone`); then the site's (settings.LANGUAGE_CODE,
settings.TIME_ZONE). A customer has no account: their contact's language, else their browser's, else the
organisation's.

`LocaleMiddleware` activates both for every request from the person alone; `TenantMiddleware` activates them again
with the organisation once it knows it (`for_request`). Emails are rendered under `activated()` with the recipient's
(qms.outbox.services.email_enqueue), so a digest written by a worker reads as the page would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

if TYPE_CHECKING:
    from .models import Organization


def supported_language(code: str | None) -> str:
    """The product's language for a code ("de-AT" -> "de", "en" -> "en-gb"), or "" when it does not speak it."""
    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return ""


def browser_language(request: HttpRequest) -> str:
    """The first language of the browser's Accept-Language that the product speaks, or ""."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code != "*" and (language := supported_language(code)):
            return language
    return ""


def zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def language_for(*, user: Any = None, organization: Organization | None = None, asked: str = "") -> str:
    """A person's language: their own, else `asked` (their browser's, or a contact's), else the organisation's."""
    own = supported_language(getattr(user, "language", "")) if user is not None else ""
    return own or supported_language(asked) or _organization_language(organization)


def time_zone_for(*, user: Any = None, organization: Organization | None = None) -> ZoneInfo:
    """A person's time zone: their own, else the organisation's, else the site's."""
    own = zone(getattr(user, "time_zone", "")) if user is not None else None
    return own or zone(getattr(organization, "time_zone", "")) or ZoneInfo(settings.TIME_ZONE)


def _organization_language(organization: Organization | None) -> str:
    return supported_language(getattr(organization, "language", "")) or settings.LANGUAGE_CODE


def _signed_in(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@contextmanager
def activated(*, language: str, time_zone: ZoneInfo | str) -> Iterator[None]:
    """Everything inside speaks `language` and tells times in `time_zone`; both are restored after."""
    with translation.override(language), timezone.override(time_zone):
        yield


@contextmanager
def for_request(request: HttpRequest, organization: Organization | None) -> Iterator[None]:
    """The person's language and time zone on a request, with the organisation's as the fallback."""
    user = _signed_in(request)
    language = language_for(user=user, organization=organization, asked=browser_language(request))
    request.LANGUAGE_CODE = language  # as Django's LocaleMiddleware sets it
    with activated(language=language, time_zone=time_zone_for(user=user, organization=organization)):
        yield


class LocaleMiddleware:
    """The person's language and time zone for every request (after authentication); the answer says which
    language it is in and that it depends on the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with for_request(request, None):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Accept-Language",))
        return response
