from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

# Set at sign-in for a person with two-factor sign-in on (qms.accounts.views.LoginView), cleared by their code.
PENDING = "two_factor_pending"
# What a person waiting for their code may still reach: the code's page and the rest of /accounts/ (sign out).
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz")


class SecondFactorMiddleware:
    """Until a person who turned two-factor sign-in on enters a code, every page sends them to the code's page;
    under /api/ their session gets a JSON 403 (an API token is unaffected: DRF checks it, not the session)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if request.session.get(PENDING) and request.user.is_authenticated and not path.startswith(OPEN_PREFIXES):
            if path.startswith("/api/"):
                message = "Enter your two-factor code in the browser first, or use an API token."
                return JsonResponse({"detail": message}, status=403)
            return redirect(f"{reverse('accounts:two_factor_verify')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
