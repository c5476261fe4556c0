import email
from email import policy
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from qms.listing import paginate, query_text
from qms.permissions import may, permission
from qms.tenancy.access import get_object_for_member
from qms.tenancy.requests import MemberRequest

from .forms import SendRateForm
from .models import OutboxMessage
from .selectors import outbox_counts, outbox_messages, send_rate
from .services import outbox_rate_set, outbox_retry

# An email's HTML is written for mail clients, which want its styles inline. The mailbox shows it as a document of
# its own, framed by the message page alone (sandboxed there), under a policy of its own that the CSP middleware
# leaves in place: its inline styles and images, and nothing else — no script, no request, no form, no other framer.
EMAIL_DOCUMENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)


@permission("delivery.view")
def delivery_log(request: MemberRequest, org_slug: str) -> HttpResponse:
    rate = send_rate(organization=request.organization)
    return _delivery_page(request, SendRateForm(initial={"per_minute": rate.per_minute if rate else None}))


def _delivery_page(request: MemberRequest, rate_form: SendRateForm, status: int = 200) -> HttpResponse:
    state = request.GET.get("state", "")
    search = query_text(request.GET, "q")
    page = paginate(request, outbox_messages(organization=request.organization, state=state, search=search))
    counts = outbox_counts(organization=request.organization)
    states = [(value, label, counts.get(value, 0)) for value, label in OutboxMessage.State.choices]
    context = {
        "page": page, "state": state, "query": search, "states": states, "rate_form": rate_form,
        "server_rate": settings.OUTBOX_RATE_PER_MINUTE, "may_manage": may(request.membership, "delivery.manage"),
    }  # fmt: skip
    return render(request, "outbox/delivery_log.html", context, status=status)


@require_POST
@permission("delivery.manage")
def delivery_rate(request: MemberRequest, org_slug: str) -> HttpResponse:
    """The organisation's email sending rate: emails a minute across every worker."""
    form = SendRateForm(request.POST)
    if not form.is_valid():
        return _delivery_page(request, form, status=422)
    outbox_rate_set(organization=request.organization, actor=request.user, per_minute=form.cleaned_data["per_minute"])
    messages.success(request, _("The sending rate was saved; the next emails keep to it."))
    return redirect("outbox:delivery_log", org_slug=org_slug)


@require_POST
@permission("delivery.retry")
def message_retry(request: MemberRequest, org_slug: str, message_id: int) -> HttpResponse:
    message = get_object_for_member(OutboxMessage.objects.all(), organization=request.organization, pk=message_id)
    outbox_retry(message=message)
    messages.success(request, _("Email to %(email)s queued again.") % {"email": message.to_email})
    return redirect("outbox:delivery_log", org_slug=org_slug)


def _mailbox() -> Path:
    if not settings.DEBUG:
        raise Http404(_("The local mailbox exists only in development (DEBUG)."))
    return Path(settings.EMAIL_MAILBOX_DIR)


def _parse(path: Path) -> dict[str, str]:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return {
        "name": path.name,
        "subject": message["subject"],
        "to": message["to"],
        "date": message["date"],
        "message_id": message["message-id"],
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
    }


def dev_mailbox(request: HttpRequest) -> HttpResponse:
    folder = _mailbox()
    files = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.exists() else []
    return render(request, "outbox/dev_mailbox.html", {"mails": [_parse(p) for p in files]})


def _message_path(name: str) -> Path:
    path = _mailbox() / Path(name).name
    if not path.exists() or path.suffix != ".eml":
        raise Http404(_("No such message."))
    return path


def dev_mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    return render(request, "outbox/dev_mailbox_message.html", {"mail": _parse(_message_path(name))})


@xframe_options_sameorigin
def dev_mailbox_html(request: HttpRequest, name: str) -> HttpResponse:
    html = _parse(_message_path(name))["html"]
    if not html:
        raise Http404(_("This message has no HTML part."))
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_DOCUMENT_POLICY
    return response
