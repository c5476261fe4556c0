import email
from email import policy
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qms.listing import paginate, query_text
from qms.permissions import permission
from qms.tenancy.access import get_object_for_member
from qms.tenancy.requests import MemberRequest

from .models import OutboxMessage
from .selectors import outbox_counts, outbox_messages
from .services import outbox_retry


@permission("delivery.view")
def delivery_log(request: MemberRequest, org_slug: str) -> HttpResponse:
    state = request.GET.get("state", "")
    search = query_text(request.GET, "q")
    page = paginate(request, outbox_messages(organization=request.organization, state=state, search=search))
    counts = outbox_counts(organization=request.organization)
    states = [(value, label, counts.get(value, 0)) for value, label in OutboxMessage.State.choices]
    return render(
        request, "outbox/delivery_log.html", {"page": page, "state": state, "query": search, "states": states}
    )


@require_POST
@permission("delivery.retry")
def message_retry(request: MemberRequest, org_slug: str, message_id: int) -> HttpResponse:
    message = get_object_for_member(OutboxMessage.objects.all(), organization=request.organization, pk=message_id)
    outbox_retry(message=message)
    messages.success(request, f"Email to {message.to_email} queued again.")
    return redirect("outbox:delivery_log", org_slug=org_slug)


def _mailbox() -> Path:
    if not settings.DEBUG:
        raise Http404("The local mailbox exists only in development (DEBUG).")
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


def dev_mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    path = _mailbox() / Path(name).name
    if not path.exists() or path.suffix != ".eml":
        raise Http404("No such message.")
    return render(request, "outbox/dev_mailbox_message.html", {"mail": _parse(path)})
