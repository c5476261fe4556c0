from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from qms.forms import add_service_errors
from qms.permissions import permission
from qms.tenancy.context import organization_context
from qms.tenancy.locale import activated, browser_language, language_for, time_zone_for
from qms.tenancy.public_links import token_hash
from qms.tenancy.requests import MemberRequest
from qms.tenancy.selectors import members_for_organization, memberships_for_user, organization_for_invitation

from .forms import ApiTokenForm, EmailLoginForm, OutboxPasswordResetForm, PreferencesForm, SecondFactorForm, SignupForm
from .middleware import PENDING
from .models import Invitation, User
from .selectors import access_api_token, api_tokens_for_organization, invitation_for_token
from .services import api_token_create, api_token_revoke, invitation_accept, user_create, user_set_preferences
from .two_factor import (
    RECOVERY_DEVICE,
    WRONG_CODE,
    authenticator,
    has_two_factor,
    pending_authenticator,
    qr_code_svg,
    recovery_codes_renew,
    secret_text,
    two_factor_confirm,
    two_factor_disable,
    two_factor_setup_start,
    verify_second_factor,
)


class LoginView(auth_views.LoginView):
    """The password; then, for a person with two-factor sign-in on, the code (two_factor_verify)."""

    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        if has_two_factor(user):
            self.request.session[PENDING] = True
            return redirect(f"{reverse('accounts:two_factor_verify')}?{urlencode({'next': self.get_success_url()})}")
        return response


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if target and allowed else reverse("home")


@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app, or a recovery code (used up)."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = verify_second_factor(user=user, code=form.cleaned_data["code"])
        if device is None:
            form.add_error("code", WRONG_CODE)
        else:
            otp_login(request, device)
            request.session.pop(PENDING, None)
            if device.name == RECOVERY_DEVICE:
                messages.warning(
                    request, _("You used a recovery code; each works once. Renew them on Two-factor sign-in.")
                )
            return redirect(_next_url(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """A person's own name, language and time zone, for every organisation they belong to."""
    user = cast(User, request.user)
    initial = {"full_name": user.full_name, "language": user.language, "time_zone": user.time_zone}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_set_preferences(user=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            with activated(
                language=language_for(user=user, asked=browser_language(request)), time_zone=time_zone_for(user=user)
            ):
                messages.success(request, _("Your preferences are saved."))  # in the language just chosen
            return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """A person's own two-factor sign-in: turn it on (scan, confirm, keep the recovery codes), renew the codes,
    turn it off. Every change but starting asks for a current code."""
    user = cast(User, request.user)
    form = SecondFactorForm(request.POST or None)
    action = request.POST.get("action", "")
    recovery_codes: list[str] = []
    if request.method == "POST" and action == "start":
        two_factor_setup_start(user=user)
        return redirect("accounts:two_factor")
    if request.method == "POST" and action in ("confirm", "renew", "disable") and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if action == "confirm":
                recovery_codes = two_factor_confirm(user=user, code=code)
                otp_login(request, authenticator(user))
                request.session.pop(PENDING, None)
                messages.success(request, _("Two-factor sign-in is on. Keep your recovery codes somewhere safe."))
            elif action == "renew":
                recovery_codes = recovery_codes_renew(user=user, code=code)
                messages.success(request, _("New recovery codes: the old ones no longer work."))
            else:
                two_factor_disable(user=user, code=code)
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("accounts:two_factor")
        except ValidationError as exc:
            add_service_errors(form, exc)
    enabled = has_two_factor(user)
    pending = None if enabled else pending_authenticator(user)
    context = {
        "form": form,
        "enabled": enabled,
        "pending": pending,
        "qr_code": qr_code_svg(pending) if pending else "",
        "secret": secret_text(pending) if pending else "",
        "recovery_codes": recovery_codes,
        "action": action,
    }
    return render(request, "accounts/two_factor.html", context)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    memberships = memberships_for_user(user=request.user)
    if len(memberships) == 1 and request.GET.get("all") is None:
        return redirect("tenancy:home", org_slug=memberships[0].organization.slug)
    return render(request, "accounts/home.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    organization = organization_for_invitation(token_hash=token_hash(token))
    if organization is None:
        raise Http404(_("This invitation link is not valid."))
    with transaction.atomic(), organization_context(organization):
        invitation = invitation_for_token(organization=organization, token=token)
        if invitation is None:  # withdrawn since its organisation was found
            raise Http404(_("This invitation link is not valid."))
        context = {"invitation": invitation, "organization": organization}
        if invitation.status != "pending":
            return render(request, "accounts/invitation_unusable.html", context, status=410)
        existing = User.objects.filter(email__iexact=invitation.email).first()
        if request.user.is_authenticated:
            return _accept_signed_in(request, request.user, invitation, context)
        if existing is not None:
            messages.info(request, _("Sign in as %(email)s to accept the invitation.") % {"email": invitation.email})
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        form = SignupForm(request.POST or None, email=invitation.email)
        if request.method == "POST" and form.is_valid():
            try:
                user = user_create(
                    email=invitation.email,
                    password=form.cleaned_data["password1"],
                    full_name=form.cleaned_data["full_name"],
                )
                invitation_accept(invitation=invitation, user=user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome to %(organization)s.") % {"organization": organization.name})
                return redirect("tenancy:home", org_slug=organization.slug)
        return render(request, "accounts/invitation_signup.html", {**context, "form": form})


def _accept_signed_in(
    request: HttpRequest, user: User, invitation: Invitation, context: dict[str, Any]
) -> HttpResponse:
    if request.method == "POST":
        try:
            invitation_accept(invitation=invitation, user=user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("You joined %(organization)s.") % {"organization": invitation.organization.name}
            )
            return redirect("tenancy:home", org_slug=invitation.organization.slug)
    return render(request, "accounts/invitation_accept.html", context)


@require_http_methods(["GET", "POST"])
@permission("tokens.manage")
def api_tokens(request: MemberRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    members = list(members_for_organization(organization=organization))
    form = ApiTokenForm(request.POST or None, members=members, initial={"membership": request.membership.pk})
    new_key = None
    if request.method == "POST" and form.is_valid():
        membership = next(m for m in members if str(m.pk) == form.cleaned_data["membership"])
        try:
            _token, new_key = api_token_create(
                organization=organization, actor=request.user, membership=membership, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = ApiTokenForm(members=members, initial={"membership": request.membership.pk})
    tokens = api_tokens_for_organization(organization=organization)
    return render(request, "accounts/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key})


@require_POST
@permission("tokens.manage")
def api_token_revoke_view(request: MemberRequest, org_slug: str, token_id: int) -> HttpResponse:
    token = access_api_token(organization=request.organization, token_id=token_id)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name})
    return redirect("tokens:list", org_slug=org_slug)
