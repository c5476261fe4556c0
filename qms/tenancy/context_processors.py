from typing import Any, cast

from django.http import HttpRequest
from django.urls import reverse

from qms.modules import nav_group_label, navigation_entries

from .access import MANAGERS, can_write, has_role
from .models import Role
from .requests import MemberRequest
from .selectors import memberships_for_user


def tenancy(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None or not request.path_info.startswith("/o/"):
        return {}
    request = cast(MemberRequest, request)  # a staff page's: the middleware set its organisation and membership
    return {
        "organization": request.organization,
        "membership": membership,
        "my_memberships": memberships_for_user(user=request.user),
        "can_write": can_write(membership),
        "is_manager": has_role(membership, *MANAGERS),
        "is_owner": has_role(membership, Role.OWNER),
        "module_navigation": _module_navigation(request.path, request.organization.slug),
    }


def _module_navigation(path: str, slug: str) -> list[dict]:
    """Each installed module's entry in its group's order, active on its own pages (and on those it names too)."""
    entries = []
    for entry in navigation_entries():
        url = reverse(entry.url_name, kwargs={"org_slug": slug})
        prefixes = [url, *(reverse(name, kwargs={"org_slug": slug}) for name in entry.also_active)]
        entries.append(
            {
                "label": entry.label,
                "url": url,
                "active": any(path.startswith(p) for p in prefixes),
                "icon": entry.icon,
                "group": nav_group_label(entry.group),
            }
        )
    return entries
