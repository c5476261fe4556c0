"""The answers to errors that reach Django's own handlers (qms/urls.py): under /api/, JSON in the shape DRF gives
every other API error ({"detail": "…"}); elsewhere, Django's pages.

DRF answers what its views raise; these are the rest: a path that no route matches, the middleware's 404 for an
organisation that does not exist, a body larger than Django reads, a crash that DRF passes on.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404
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
    return message if isinstance(message, str) and message and not isinstance(exception, Resolver404) else default


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return _detail(413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes.")
    return _detail(400, exceptions.ParseError.default_detail)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return _detail(403, _message(exception, exceptions.PermissionDenied.default_detail))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _detail(404, _message(exception, exceptions.NotFound.default_detail))


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return _detail(500, exceptions.APIException.default_detail)
