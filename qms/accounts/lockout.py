"""How django-axes names the account a sign-in attempt is for."""

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request


def lockout_username(request: HttpRequest | Request, credentials: Mapping[str, Any] | None = None) -> str | None:
    """The email typed into the sign-in form, lower-cased: sign-in ignores case, so the lockout count must too
    (otherwise `Owner@…`, `OWNER@…` and so on would each get a fresh allowance of guesses)."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get("username")
    return username.strip().lower() if username else username
