"""The invitation email, written by the outbox worker when it sends it (ModuleConfig.email_renderers).

Every word comes from the survey's texts in the invitation's language, dates in the organisation's time zone.
The email carries the unsubscribe link as RFC 8058 asks: `List-Unsubscribe` (an https URL) with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so the mail provider's button unsubscribes without a page.
"""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from qms.outbox.models import OutboxMessage
from qms.outbox.rendering import RenderedEmail
from qms.tenancy.branding import palette, sender_name
from qms.tenancy.public_links import token_hash
from surveys.forms.respond import SCALE_ENDS
from surveys.models import Invitation
from surveys.questionnaire import Questionnaire
from surveys.services.sending import scale_links
from surveys.texts import Texts, needs_ui_texts


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def link(name: str, token: str) -> str:
    return absolute(reverse(f"links:{name}", kwargs={"token": token}))


def render_invitation(message: OutboxMessage) -> RenderedEmail:
    token = message.context["token"]
    invitation = (
        Invitation.objects.filter(organization=message.organization, token_hash=token_hash(token))
        .select_related("survey", "version", "organization")
        .get()
    )
    organization, version = invitation.organization, invitation.version
    questions = list(version.questions.all())
    texts = Texts(version, invitation.language, questions)
    first = Questionnaire.of(questions).first
    url, unsubscribe_url = link("survey_response", token), link("survey_unsubscribe", token)
    low_key, high_key = SCALE_ENDS.get(first.kind, ("", "")) if first else ("", "")
    date_language = settings.LANGUAGE_CODE if needs_ui_texts(invitation.language) else invitation.language
    with translation.override(date_language), timezone.override(organization.zone()):
        expires = formats.date_format(timezone.localtime(invitation.expires_at), "j F Y")
    names = {"organization": organization.name}
    context = {
        "organization": organization,
        "accent": palette(organization)["accent"],
        "logo_url": absolute(reverse("public:logo", args=[organization.slug])) if organization.logo else "",
        "language": invitation.language,
        "subject": texts.get("email.subject"),
        "body": texts.get("email.body"),
        "scale": [(score, f"{url}?s={score}") for score in scale_links(first)],
        "scale_label": (texts.question(first, "text") if first else "") or texts.ui("ui.email.scale"),
        "low": (texts.question(first, "low") or texts.ui(low_key)) if low_key and first else "",
        "high": (texts.question(first, "high") or texts.ui(high_key)) if high_key and first else "",
        "button": texts.ui("ui.email.button"),
        "url": url,
        "expires": texts.ui("ui.email.expires", date=expires),
        "why": texts.ui("ui.email.why", **names),
        "unsubscribe_label": texts.ui("ui.unsubscribe"),
        "unsubscribe_url": unsubscribe_url,
    }
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return RenderedEmail(
        subject=render_to_string("emails/survey-invitation-subject.txt", context),
        text=render_to_string("emails/survey-invitation-body.txt", context),
        html=render_to_string("emails/survey-invitation-body.html", context),
        headers={
            "From": formataddr((sender_name(organization), address)),
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
