from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from qms.accounts.forms import InvitationForm, MembershipForm, OrganizationForm
from qms.accounts.selectors import access_invitation, invitations_pending
from qms.accounts.services import invitation_create, invitation_revoke
from qms.audit.selectors import audit_events
from qms.forms import add_service_errors
from qms.modules import audit_action_label, dashboard_cards, home_view
from qms.permissions import may, permission
from qms.sorting import Sorts

from .access import access_membership
from .filters import member_filters
from .models import Role
from .requests import MemberRequest
from .selectors import members_for_organization
from .services import membership_change_role, membership_remove, organization_update


@permission("dashboard.view")
def organization_home(request: MemberRequest, org_slug: str) -> HttpResponse:
    """The dashboard an installed module declares (reports/), or this simple page without one."""
    dashboard = home_view()
    if dashboard is not None:
        return dashboard(request, org_slug)
    organization = request.organization
    events = (
        audit_events(organization=organization).select_related("actor")[:8]
        if may(request.membership, "audit.view")
        else []
    )
    recent = [{"event": event, "label": audit_action_label(event.action)} for event in events]
    return render(
        request,
        "tenancy/home.html",
        {
            "recent_events": recent,
            "member_count": members_for_organization(organization=organization).count(),
            "dashboard_cards": dashboard_cards(organization=organization, membership=request.membership),
        },
    )


@require_http_methods(["GET", "POST"])
@permission("settings.view", write="settings.manage")
def organization_settings(request: MemberRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    initial = {
        "name": organization.name,
        "two_factor_required": organization.two_factor_required,
        "time_zone": organization.time_zone,
        "country": organization.country,
        "language": organization.language,
        "accent_colour": organization.accent_colour,
        "sender_name": organization.sender_name,
    }
    form = OrganizationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            organization_update(organization=organization, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Organisation settings saved."))
            return redirect("tenancy:settings", org_slug=org_slug)
    return render(request, "tenancy/settings.html", {"form": form})


MEMBER_SORTS = Sorts(
    default="email",
    email=("user__email",),
    name=("user__full_name", "user__email"),
    role=("role", "user__email"),
    since=("created_at",),
    expires=("expires_at", "user__email"),
)


@require_http_methods(["GET", "POST"])
@permission("members.view", write="members.manage")
def members(request: MemberRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(organization=organization, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("tenancy:members", org_slug=org_slug)
    filters = member_filters(organization=organization, params=request.GET)
    people, sorting = MEMBER_SORTS.apply(filters.qs, request.GET)
    return render(
        request,
        "tenancy/members.html",
        {
            "form": form,
            "members": people,
            "sorting": sorting,
            "query": filters.values["q"],
            "role": filters.values["role"],
            "roles": Role.choices,
            "invitations": invitations_pending(organization=organization),
            "now": timezone.now(),
        },
    )


def _role_in_sentence(role: str) -> str:
    """A role as a sentence names it ("… is now manager.")."""
    words: dict[str, str] = {
        Role.OWNER: pgettext("a role in a sentence", "owner"),
        Role.MANAGER: pgettext("a role in a sentence", "manager"),
        Role.STAFF: pgettext("a role in a sentence", "staff"),
        Role.AUDITOR: pgettext("a role in a sentence", "auditor"),
    }
    return words.get(role, role)


@require_http_methods(["GET", "POST"])
@permission("members.view", write="members.manage")
def member_edit(request: MemberRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = access_membership(organization=request.organization, membership_id=membership_id)
    form = MembershipForm(request.POST or None, initial={"role": membership.role, "expires_at": membership.expires_at})
    if request.method == "POST" and form.is_valid():
        try:
            membership_change_role(
                membership=membership,
                actor=request.user,
                role=form.cleaned_data["role"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": membership.user.email, "role": _role_in_sentence(form.cleaned_data["role"])},
            )
            return redirect("tenancy:members", org_slug=org_slug)
    return render(request, "tenancy/member_edit.html", {"member": membership, "form": form})


@require_POST
@permission("members.manage")
def member_remove(request: MemberRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = access_membership(organization=request.organization, membership_id=membership_id)
    try:
        membership_remove(membership=membership, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(email)s was removed; their API tokens were revoked.") % {"email": membership.user.email}
        )
    return redirect("tenancy:members", org_slug=org_slug)


@require_POST
@permission("members.manage")
def invitation_revoke_view(request: MemberRequest, org_slug: str, invitation_id: int) -> HttpResponse:
    invitation = access_invitation(organization=request.organization, invitation_id=invitation_id)
    invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, _("Invitation for %(email)s revoked.") % {"email": invitation.email})
    return redirect("tenancy:members", org_slug=org_slug)
