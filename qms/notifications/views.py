"""The notification pages: a person's own list (each entry links to its record and is marked read on the way), mark
read, mark all read, their own settings, and the organisation's rules (owners and managers).

Marking read works with htmx (the entry is swapped in place) and without (a plain POST, then back to the list).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qms.forms import add_service_errors
from qms.listing import paginate
from qms.modules import notification_kind, notification_kinds
from qms.permissions import permission
from qms.tenancy.requests import MemberRequest

from .forms import PreferenceForm, RuleForm, rule_members
from .selectors import access_notification, access_rule, notifications_for, preference_for, rules_page, unread_count
from .services import (
    notification_mark_read,
    notifications_mark_all_read,
    preference_update,
    rule_create,
    rule_delete,
    rule_set_active,
)

PER_PAGE = 25


@require_GET
@permission("notifications.view")
def notification_list(request: MemberRequest, org_slug: str) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    found = notifications_for(organization=request.organization, user=request.user, unread_only=unread_only)
    context = {
        "page": paginate(request, found, per_page=PER_PAGE),
        "unread_only": unread_only,
        "unread": unread_count(organization=request.organization, user=request.user),
    }
    return render(request, "notifications/list.html", context)


@require_GET
@permission("notifications.view")
def notification_open(request: MemberRequest, org_slug: str, notification_id: int) -> HttpResponse:
    """Follow a notification to its record, marking it read on the way."""
    notification = access_notification(
        organization=request.organization, user=request.user, notification_id=notification_id
    )
    notification_mark_read(notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}):
        return redirect(notification.url)
    messages.info(request, _("This notification has no page to open."))
    return redirect("notifications:list", org_slug=org_slug)


@require_POST
@permission("notifications.read")
def notification_read(request: MemberRequest, org_slug: str, notification_id: int) -> HttpResponse:
    notification = access_notification(
        organization=request.organization, user=request.user, notification_id=notification_id
    )
    notification_mark_read(notification=notification)
    if request.htmx:
        notification.refresh_from_db(fields=["read_at"])
        return render(request, "notifications/partials/_entry.html", {"notification": notification, "bell": True})
    return redirect(_back_to_list(request, org_slug))


@require_POST
@permission("notifications.read")
def notifications_read_all(request: MemberRequest, org_slug: str) -> HttpResponse:
    count = notifications_mark_all_read(organization=request.organization, user=request.user)
    messages.success(
        request,
        ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", count)
        % {"count": count},
    )
    return redirect(_back_to_list(request, org_slug))


def _back_to_list(request: MemberRequest, org_slug: str) -> str:
    url = reverse("notifications:list", kwargs={"org_slug": org_slug})
    return f"{url}?show=unread" if request.POST.get("show") == "unread" else url


@require_http_methods(["GET", "POST"])
@permission("notifications.preferences")
def notification_settings(request: MemberRequest, org_slug: str) -> HttpResponse:
    preference = preference_for(membership=request.membership)
    initial = {
        "delivery": preference.delivery,
        "kinds": [key for key in _kind_keys() if key not in preference.muted_kinds],
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            preference_update(
                membership=request.membership,
                actor=request.user,
                delivery=form.cleaned_data["delivery"],
                muted_kinds=form.muted_kinds(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your notification settings were saved."))
            return redirect("notifications:settings", org_slug=org_slug)
    return render(request, "notifications/settings.html", {"form": form})


def _kind_keys() -> list[str]:
    return [kind.key for kind in notification_kinds()]


@require_http_methods(["GET", "POST"])
@permission("notifications.rules")
def notification_rules(request: MemberRequest, org_slug: str) -> HttpResponse:
    """The organisation's rules, one section per kind, each with a form to add one."""
    organization = request.organization
    members = rule_members(organization=organization)
    posted = request.POST.get("kind") if request.method == "POST" else None
    if posted is not None and not getattr(notification_kind(posted), "routed", False):
        raise Http404(_("No rules can be added for this kind of notification."))
    sections = []
    for section in rules_page(organization=organization):
        data = request.POST if section.kind.key == posted else None
        form = RuleForm(data, kind=section.kind, organization=organization, members=members)
        if data is not None and form.is_valid():
            try:
                rule_create(organization=organization, actor=request.user, **form.rule_values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The rule was added."))
                return redirect("notifications:rules", org_slug=org_slug)
        sections.append({"section": section, "form": form})
    return render(request, "notifications/rules.html", {"sections": sections})


@require_POST
@permission("notifications.rules")
def notification_rule_active(request: MemberRequest, org_slug: str, rule_id: int) -> HttpResponse:
    rule = access_rule(organization=request.organization, rule_id=rule_id)
    active = request.POST.get("active") == "1"
    try:
        rule_set_active(rule=rule, actor=request.user, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The rule is on again.") if active else _("The rule is paused."))
    return redirect("notifications:rules", org_slug=org_slug)


@require_POST
@permission("notifications.rules")
def notification_rule_delete(request: MemberRequest, org_slug: str, rule_id: int) -> HttpResponse:
    rule = access_rule(organization=request.organization, rule_id=rule_id)
    rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("The rule was deleted."))
    return redirect("notifications:rules", org_slug=org_slug)


urlpatterns = [
    path("notifications/", notification_list, name="list"),
    path("notifications/<int:notification_id>/", notification_open, name="open"),
    path("notifications/<int:notification_id>/read/", notification_read, name="read"),
    path("notifications/read-all/", notifications_read_all, name="read_all"),
    path("notifications/settings/", notification_settings, name="settings"),
    path("notifications/rules/", notification_rules, name="rules"),
    path("notifications/rules/<int:rule_id>/active/", notification_rule_active, name="rule_active"),
    path("notifications/rules/<int:rule_id>/delete/", notification_rule_delete, name="rule_delete"),
]
