"""The mail events webhook (POST /hooks/<org_slug>/mail-events/, no account) and its settings page, where the owner
makes or rotates the webhook's secret (shown once) and pastes Mailgun's signing key. docs/mail-events.md is the
senders' documentation."""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from customers import mail_events, sns
from customers.forms import MailgunKeyForm
from customers.selectors.mail_events import mail_events_endpoint
from customers.services.mail_events import (
    mail_events_apply,
    mail_events_mailgun_key_set,
    mail_events_secret_rotate,
    mail_events_subscription_confirmed,
)
from qms.permissions import permission
from qms.tenancy.context import request_organization_context
from qms.tenancy.public_links import address_hash, link_miss_record, link_misses
from qms.tenancy.requests import MemberRequest

MAX_BODY_BYTES = 256 * 1024


def _answer(status: int, **fields: object) -> JsonResponse:
    return JsonResponse(fields, status=status, headers={"Cache-Control": "no-store"})


def _body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY_BYTES (read no further than that)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


@csrf_exempt
@require_POST
def mail_events_hook(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Bounces, complaints and deliveries from the organisation's mail provider: 200 with what changed, 400 for a
    body that is not its format, 403 for a request not proved to be the organisation's (an unknown organisation
    answers the same), 413 for a body over 256 KB. An address refused too often is refused for any request for an
    hour, as a public link's guesser is (PUBLIC_LINK_MISSES_PER_HOUR)."""
    body = _body(request)
    if body is None:
        return _answer(413, error=f"The body is larger than {MAX_BODY_BYTES // 1024} KB.")
    address = address_hash(get_client_ip_address(request))
    with request_organization_context(org_slug) as organization:
        if link_misses(address=address) > settings.PUBLIC_LINK_MISSES_PER_HOUR:
            return _answer(429, error="Too many refused requests from this address: try again in an hour.")
        endpoint = mail_events_endpoint(organization=organization) if organization is not None else None
        try:
            received = mail_events.read(request, body, endpoint)
        except mail_events.Malformed as exc:
            return _answer(400, error=str(exc))
        except mail_events.Refused as exc:
            link_miss_record(address=address)
            return _answer(403, error=str(exc))  # the same for an unknown organisation as for a wrong secret
        assert endpoint is not None and organization is not None  # read() refuses without them
        if received.subscription is not None:
            try:
                sns.confirm_subscription(received.subscription)
            except (OSError, sns.NotGenuine) as exc:
                return _answer(400, error=f"Could not confirm the subscription: {exc}")
            mail_events_subscription_confirmed(endpoint=endpoint, topic_arn=str(received.subscription["TopicArn"]))
            return _answer(200, source=received.source, confirmed=1)
        counts = mail_events_apply(organization=organization, events=received.events, source=received.source)
    return _answer(200, source=received.source, **counts)


# --- the settings page -----------------------------------------------------------------------------------------


def _settings_page(request: MemberRequest, *, secret: str = "", form: MailgunKeyForm | None = None) -> HttpResponse:
    organization = request.organization
    hook = request.build_absolute_uri(reverse("hooks:mail_events", kwargs={"org_slug": organization.slug}))
    context = {
        "endpoint": mail_events_endpoint(organization=organization),
        "hook_url": hook,
        "secret": secret,
        "mailgun_form": form or MailgunKeyForm(),
    }
    response = render(request, "customers/mail_events.html", context, status=400 if form else 200)
    response["Cache-Control"] = "no-store"  # the secret, when shown, stays in no cache
    return response


@require_GET
@permission("settings.view")
def mail_events_settings(request: MemberRequest, org_slug: str) -> HttpResponse:
    return _settings_page(request)


@never_cache
@require_POST
@permission("settings.manage")
def mail_events_rotate(request: MemberRequest, org_slug: str) -> HttpResponse:
    """Make a new secret and show it on this answer alone; the old one stops working at once."""
    secret = mail_events_secret_rotate(organization=request.organization, actor=request.user)
    return _settings_page(request, secret=secret)


@require_POST
@permission("settings.manage")
def mail_events_mailgun(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = MailgunKeyForm(request.POST)
    if form.is_valid():
        try:
            mail_events_mailgun_key_set(
                organization=request.organization, actor=request.user, key=form.cleaned_data["key"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Mailgun's signing key saved."))
        return redirect("customers:mail_events_settings", org_slug=org_slug)
    return _settings_page(request, form=form)


urlpatterns = [
    path("settings/mail-events/", mail_events_settings, name="mail_events_settings"),
    path("settings/mail-events/rotate/", mail_events_rotate, name="mail_events_rotate"),
    path("settings/mail-events/mailgun/", mail_events_mailgun, name="mail_events_mailgun"),
]
# under /hooks/<org_slug>/ (qms/urls.py), namespace "hooks"
hook_urlpatterns = [path("mail-events/", mail_events_hook, name="mail_events")]
