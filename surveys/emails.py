"""The invitation email, written by the outbox worker when it sends it (ModuleConfig.email_renderers).

Every word comes from the survey's texts in the invitation's language, dates in the organisation's time zone.
The email carries the unsubscribe link as RFC 8058 asks: `List-Unsubscribe` (an https URL) with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so the mail provider's button unsubscribes without a page.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from qms.outbox.models import OutboxMessage
from qms.outbox.rendering import RenderedEmail, batch_memo, batch_messages
from qms.tenancy.branding import palette, sender_name
from qms.tenancy.public_links import token_hash
from surveys.forms.respond import SCALE_ENDS
from surveys.models import Invitation, SurveyVersion
from surveys.questionnaire import Questionnaire
from surveys.services.sending import scale_links
from surveys.texts import Texts, needs_ui_texts

# Where each message's token goes in the links of an email rendered once for many: letters only, so that no
# template filter or escaping changes it, and no survey text contains it.
STAND_IN = "xLINKxSTANDxINx"


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def link(name: str, token: str) -> str:
    return absolute(reverse(f"links:{name}", kwargs={"token": token}))


def render_invitation(message: OutboxMessage) -> RenderedEmail:
    """An invitation's email, or a reminder's (its context's `reminder`, with its own `subject` and `body`).

    The email is the same for every invitation of one version, language and expiry but for the token in its links:
    it is rendered once with a stand-in for the token (batch_memo: once per worker's batch, every time outside
    one), which each message's own token replaces. The batch's invitations are read in one query."""
    token = message.context["token"]
    invitation = _invitation(message, token)
    reminder = (
        (message.context.get("subject"), message.context.get("body")) if message.context.get("reminder") else None
    )
    key = ("survey-invitation", invitation.version_id, invitation.language, invitation.expires_at, reminder)
    shared = batch_memo(key, lambda: _render(invitation, reminder))
    return RenderedEmail(
        subject=shared.subject,
        text=shared.text.replace(STAND_IN, token),
        html=shared.html.replace(STAND_IN, token),
        headers={name: value.replace(STAND_IN, token) for name, value in shared.headers.items()},
    )


def _render(invitation: Invitation, reminder: tuple[str | None, str | None] | None) -> RenderedEmail:
    words = batch_memo(("survey-invitation", invitation.version_id, invitation.language), lambda: _words(invitation))
    url, unsubscribe_url = link("survey_response", STAND_IN), link("survey_unsubscribe", STAND_IN)
    context = {
        **words["context"],
        "scale": [(score, f"{url}?s={score}") for score in words["scores"]],
        "url": url,
        "expires": _expires(invitation, words),
        "unsubscribe_url": unsubscribe_url,
    }
    if reminder is not None:
        context["subject"] = reminder[0] or context["subject"]
        context["body"] = reminder[1] or context["body"]
    return RenderedEmail(
        subject=render_to_string("emails/survey-invitation-subject.txt", context),
        text=render_to_string("emails/survey-invitation-body.txt", context),
        html=render_to_string("emails/survey-invitation-body.html", context),
        headers={**words["headers"], "List-Unsubscribe": f"<{unsubscribe_url}>"},
    )


def _invitation(message: OutboxMessage, token: str) -> Invitation:
    """The message's invitation, from one read of its batch's invitations (by their tokens' hashes)."""

    def of_batch() -> dict[str, Invitation]:
        tokens = {m.context.get("token") for m in batch_messages(message) if m.renderer == message.renderer}
        hashes = [token_hash(t) for t in tokens if isinstance(t, str)]
        invitations = Invitation.objects.filter(organization=message.organization, token_hash__in=hashes)
        return {i.token_hash: i for i in invitations.select_related("version", "organization")}

    found = batch_memo(("survey-invitation", "invitations"), of_batch).get(token_hash(token))
    if found is None:  # not among those the batch read (a message rendered outside a batch reads its own)
        found = (
            Invitation.objects.filter(organization=message.organization, token_hash=token_hash(token))
            .select_related("version", "organization")
            .get()
        )
    return found


def _words(invitation: Invitation) -> dict[str, Any]:
    """What every email of one version in one language shares: its words, the organisation's look, the headers."""
    organization, version = invitation.organization, invitation.version
    questions = list(version.questions.all())
    texts = Texts(version, invitation.language, questions)
    first = Questionnaire.of(questions).first
    low_key, high_key = SCALE_ENDS.get(first.kind, ("", "")) if first else ("", "")
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    context = {
        "organization": organization,
        "accent": palette(organization)["accent"],
        "logo_url": absolute(reverse("public:logo", args=[organization.slug])) if organization.logo else "",
        "language": invitation.language,
        "subject": texts.get("email.subject"),
        "body": texts.get("email.body"),
        "scale_label": (texts.question(first, "text") if first else "") or texts.ui("ui.email.scale"),
        "low": (texts.question(first, "low") or texts.ui(low_key)) if low_key and first else "",
        "high": (texts.question(first, "high") or texts.ui(high_key)) if high_key and first else "",
        "button": texts.ui("ui.email.button"),
        "why": texts.ui("ui.email.why", organization=organization.name),
        "unsubscribe_label": texts.ui("ui.unsubscribe"),
    }
    return {
        "context": context,
        "texts": texts,
        "scores": scale_links(first),
        "date_language": settings.LANGUAGE_CODE if needs_ui_texts(invitation.language) else invitation.language,
        "headers": {
            "From": formataddr((sender_name(organization), address)),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    }


def _expires(invitation: Invitation, words: dict[str, Any]) -> str:
    with translation.override(words["date_language"]), timezone.override(invitation.organization.zone()):
        date = formats.date_format(timezone.localtime(invitation.expires_at), "j F Y")
    return str(words["texts"].ui("ui.email.expires", date=date))


def render_test_email(
    *, version: SurveyVersion, language: str, expiry_days: int, reminder: tuple[str, str] | None
) -> RenderedEmail:
    """A campaign's invitation (or one of its reminders) as a contact in `language` would get it, for the manager's
    test send: no invitation, no token; its links open the survey's preview, and it offers no unsubscribing."""
    organization = version.organization
    invitation = Invitation(
        organization=organization, survey=version.survey, version=version, language=language,
        expires_at=timezone.now() + timedelta(days=expiry_days),
    )  # fmt: skip
    shared = _render(invitation, reminder)
    preview = absolute(
        reverse("surveys:survey_preview", kwargs={"org_slug": organization.slug, "survey_id": version.survey_id})
    )

    def swap(text: str) -> str:
        return text.replace(link("survey_response", STAND_IN), preview).replace(
            link("survey_unsubscribe", STAND_IN), preview
        )

    headers = {name: value for name, value in shared.headers.items() if not name.startswith("List-Unsubscribe")}
    return RenderedEmail(subject=shared.subject, text=swap(shared.text), html=swap(shared.html), headers=headers)
