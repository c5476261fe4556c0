"""The organisation's public feedback form at /p/<org_slug>/feedback/: no account, no JavaScript.

The middleware has already resolved the slug (unknown → 404) and runs the request in the organisation's
context and transaction.
"""

from axes.helpers import get_client_ip_address
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from feedback.forms.public import HONEYPOT_FIELD, MESSAGE_MAX_LENGTH, PublicFeedbackForm, fill_token
from feedback.services.intake import IntakeRateLimited, feedback_submit_public
from qms.tenancy.models import Organization
from qms.tenancy.requests import OrganizationRequest

THANKS_SALT = "feedback.public-form.thanks"
THANKS_MAX_AGE = 24 * 60 * 60


def _thanks_url(organization: Organization, *, reference: str | None, confirmation: bool = False) -> str:
    """The confirmation page's address carries the reference signed, so only the sender's own link shows it."""
    token = signing.dumps({"o": organization.pk, "r": reference, "c": confirmation}, salt=THANKS_SALT)
    return reverse("public:feedback_thanks", kwargs={"org_slug": organization.slug, "token": token})


def _render_form(
    request: OrganizationRequest, form: PublicFeedbackForm, *, status: int = 200, rate_limited: bool = False
) -> HttpResponse:
    organization = request.organization
    return render(
        request,
        "feedback/public/form.html",
        {
            "org": organization,
            "form": form,
            "started": fill_token(organization),
            "honeypot_field": HONEYPOT_FIELD,
            "message_max_length": MESSAGE_MAX_LENGTH,
            "rate_limited": rate_limited,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def feedback_form(request: OrganizationRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    if request.method == "GET":
        return _render_form(request, PublicFeedbackForm(organization=organization))
    form = PublicFeedbackForm(request.POST, organization=organization)
    if form.caught_in_honeypot:
        return redirect(_thanks_url(organization, reference=None))
    if not form.is_valid():
        return _render_form(request, form)
    data = {k: v for k, v in form.cleaned_data.items() if k not in ("started", HONEYPOT_FIELD)}
    try:
        item = feedback_submit_public(organization=organization, ip=get_client_ip_address(request), **data)
    except IntakeRateLimited:
        return _render_form(request, form, status=429, rate_limited=True)
    except ValidationError as exc:
        form.add_error(None, " ".join(exc.messages))
        return _render_form(request, form)
    confirmation = bool(data["send_confirmation"] and data["email"])
    return redirect(_thanks_url(organization, reference=item.reference, confirmation=confirmation))


@require_GET
def feedback_thanks(request: OrganizationRequest, org_slug: str, token: str) -> HttpResponse:
    try:
        payload = signing.loads(token, salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
    except signing.BadSignature:
        payload = {}
    if payload.get("o") != request.organization.pk:
        payload = {}
    return render(
        request,
        "feedback/public/thanks.html",
        {"org": request.organization, "reference": payload.get("r"), "confirmation": payload.get("c", False)},
    )


urlpatterns = [
    path("feedback/", feedback_form, name="feedback_form"),
    path("feedback/thanks/<str:token>/", feedback_thanks, name="feedback_thanks"),
]
