"""The answers to errors that reach Django's own handlers (qms/urls.py): under /api/, JSON in the shape DRF gives
every other API error ({"detail": "…"}); elsewhere, the styled pages of templates/ (400, 403, 404, 500.html, all on
templates/errors/_layout.html), including the CSRF failure (settings.CSRF_FAILURE_VIEW).

DRF answers what its views raise; these are the rest: a path that no route matches, the middleware's 404 for an
organisation that does not exist, a body larger than Django reads, a crash that DRF passes on.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _detail(status: int, detail: object) -> JsonResponse:
    return JsonResponse({"detail": str(detail)}, status=status)


def _message(exception: Exception, default: object) -> object:
    """The exception's own message where it was written for the person asking (Http404("No such organisation.")),
    else DRF's wording; a resolver's 404 carries the routes it tried, never shown."""
    message = exception.args[0] if exception.args else None
    readable = isinstance(message, str | Promise) and str(message) and not isinstance(exception, Resolver404)
    return str(message) if readable else default


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return _detail(413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes.")
    return _detail(400, exceptions.ParseError.default_detail)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return render(request, "403.html", {"message": _message(exception, "")}, status=403)
    return _detail(403, _message(exception, exceptions.PermissionDenied.default_detail))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return render(request, "404.html", {"message": _message(exception, "")}, status=404)
    return _detail(404, _message(exception, exceptions.NotFound.default_detail))


CSRF_MESSAGE = _(
    "This form was open too long, or your session changed since it was shown (signing in or out in another tab "
    "does that). Go back, reload the page and send it again."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form whose CSRF token did not check out: a styled 403 that says what to do (the reason is for logs)."""
    if _is_api(request):
        return _detail(403, "CSRF check failed: send an API token, or the session's CSRF token.")
    context = {"heading": _("This form has expired"), "message": CSRF_MESSAGE}
    return render(request, "403.html", context, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return _detail(500, exceptions.APIException.default_detail)
