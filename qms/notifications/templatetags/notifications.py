"""The bell of the top bar: `{% load notifications %}{% notification_bell %}`, one COUNT query per page."""

from typing import Any

from django import template

from qms.permissions import may

from ..selectors import kind_label, unread_count

register = template.Library()


@register.inclusion_tag("notifications/partials/_bell.html", takes_context=True)
def notification_bell(context: template.Context, oob: bool = False) -> dict[str, Any]:
    """The unread count of the signed-in member, on an organisation's pages; nothing for anyone never notified.
    `oob`: the bell swapped out of band into the page by an htmx answer (after marking one read)."""
    organization, membership = context.get("organization"), context.get("membership")
    request = context.get("request")
    if organization is None or membership is None or request is None or not may(membership, "notifications.view"):
        return {"show": False}
    return {
        "show": True,
        "oob": oob,
        "organization": organization,
        "unread": unread_count(organization=organization, user=request.user),
    }


@register.filter
def notification_kind_label(key: str) -> str:
    """What a kind of notification is called, as its module declared it: "New feedback"."""
    return kind_label(key)
