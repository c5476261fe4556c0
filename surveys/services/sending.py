"""Sending a survey: one invitation per contact, created set-based in one transaction, mailed through the outbox.

The email of each invitation is written by the outbox worker (surveys.emails.render_invitation), not here: a send
to ten thousand contacts is a few statements, not ten thousand renders in a request. A contact who opted out, has
no address or was erased is never invited; nor is a contact whose language the survey cannot speak yet (the send
is refused, naming the texts that are missing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Contact
from qms.accounts.models import User
from qms.audit.services import audit_record
from qms.audit.writes import audited_update, lock
from qms.bulk import insert_rows
from qms.outbox.services import email_enqueue_many
from qms.tenancy.models import Organization
from qms.tenancy.public_links import new_token, token_hash
from surveys.models import Invitation, Question, Survey, SurveySend, SurveyVersion
from surveys.texts import base, missing_texts, source_texts

INVITATION_RENDERER = "survey-invitation"
Consent = Contact.Consent
EXCLUSIONS = {
    "erased": Q(erased_at__isnull=False),
    "opted_out": Q(erased_at__isnull=True, consent=Consent.OPTED_OUT),
    "no_email": Q(erased_at__isnull=True, email="") & ~Q(consent=Consent.OPTED_OUT),
}


def eligible(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    return contacts.filter(erased_at__isnull=True).exclude(email="").exclude(consent=Consent.OPTED_OUT)


@dataclass
class SendCheck:
    """What a send would do: how many contacts it invites, whom it leaves out and why, and the languages whose
    translation it still needs (language -> the keys missing)."""

    invited: int
    skipped: dict[str, int]
    languages: dict[str, int]
    missing: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.invited > 0 and not self.missing


def sendable_version(survey: Survey) -> SurveyVersion:
    version = survey.versions.order_by("-number").first()
    if version is None or not version.questions.exists():
        raise ValidationError(_("Add a question to the survey before sending it."))
    return version


def send_check(*, survey: Survey, contacts: QuerySet[Contact], version: SurveyVersion | None = None) -> SendCheck:
    """Count the audience in two queries: the exclusions, and the languages of those who would be invited."""
    version = version or sendable_version(survey)
    counts = contacts.aggregate(**{name: Count("pk", filter=where) for name, where in EXCLUSIONS.items()})
    languages = Counter(
        dict(
            eligible(contacts)
            .values_list("preferred_language")
            .annotate(n=Count("pk"))
            .values_list("preferred_language", "n")
        )
    )
    questions = list(version.questions.all())
    missing: dict[str, list[str]] = {}
    for language in languages:
        code = language_of(survey, version, language)
        if code and (gaps := missing_texts(version, code, questions)):
            missing[code] = gaps
    skipped = {name: n for name, n in counts.items() if n}
    return SendCheck(invited=sum(languages.values()), skipped=skipped, languages=dict(languages), missing=missing)


def language_of(survey: Survey, version: SurveyVersion, preferred: str) -> str:
    """The language an invitation is written in: the contact's own (as the survey spells it), else the default."""
    preferred = preferred or survey.default_language
    if base(preferred) == base(survey.default_language):
        return survey.default_language
    for code in version.translations:
        if base(code) == base(preferred):
            return code
    return preferred  # a language the survey has no translation for: the gate names every text as missing


def gate_message(check: SendCheck, version: SurveyVersion) -> str:
    """The send's refusal, naming each missing text of each language its contacts need."""
    sources = source_texts(version)
    parts = []
    for language, keys in sorted(check.missing.items()):
        named = ", ".join(f"“{(sources.get(key) or key)[:60]}” ({key})" for key in keys[:8])
        more = len(keys) - 8
        line = ngettext(
            "%(language)s lacks %(count)d text: %(texts)s",
            "%(language)s lacks %(count)d texts: %(texts)s",
            len(keys),
        ) % {"language": language, "count": len(keys), "texts": named}
        parts.append(line + (_(" and %(more)d more") % {"more": more} if more > 0 else ""))
    return _("Some contacts read a language this survey is not fully translated into. %(gaps)s.") % {
        "gaps": "; ".join(parts)
    }


def survey_send(
    *,
    survey: Survey,
    actor: User | None,
    contacts: QuerySet[Contact],
    audience: dict | None = None,
    kind: str = SurveySend.Kind.ONE_OFF,
    idempotency_key: str = "",
    campaign_key: str = "",
) -> SurveySend:
    """Invite every eligible contact of `contacts` to the survey's latest version, which is locked from now on."""
    organization = survey.organization
    with transaction.atomic():
        survey = lock(survey)  # two sends of one survey open it and lock its version one after the other
        version = sendable_version(survey)
        check = send_check(survey=survey, contacts=contacts, version=version)
        if check.missing:
            raise ValidationError({"contacts": gate_message(check, version)})
        if not check.invited:
            raise ValidationError({"contacts": _("None of these contacts can be sent a survey.")})
        if survey.status == Survey.Status.CLOSED:
            raise ValidationError(_("This survey is closed. Reopen it to send it again."))
        now = timezone.now()
        if survey.status == Survey.Status.DRAFT:
            survey, _opened = audited_update(
                instance=survey, actor=actor, action="survey.update", prepare=lambda s: Survey.workflow.apply(s, "open")
            )
        if version.locked_at is None:
            SurveyVersion.objects.filter(organization=organization, pk=version.pk).update(locked_at=now)
            version.locked_at = now
        send = _send_row(
            survey=survey, version=version, actor=actor, check=check, audience=audience or {}, kind=kind,
            idempotency_key=idempotency_key, campaign_key=campaign_key, now=now,
        )  # fmt: skip
        invitations_create(send=send, contacts=eligible(contacts), now=now)
        audit_record(
            organization=organization,
            actor=actor,
            action="survey.send",
            obj=survey,
            changes={"invited": [None, check.invited], "version": [None, version.number], **_skipped(check)},
        )
    return send


def _skipped(check: SendCheck) -> dict[str, list]:
    return {"skipped": [None, check.skipped]} if check.skipped else {}


def _send_row(
    *, survey: Survey, version: SurveyVersion, actor: User | None, check: SendCheck, now: datetime, **fields: Any
) -> SurveySend:
    send = SurveySend(
        organization=survey.organization,
        survey=survey,
        version=version,
        invited=check.invited,
        skipped=check.skipped,
        expires_at=now + timedelta(days=survey.invitation_days),
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        **fields,
    )
    try:
        with transaction.atomic():
            send.save(force_insert=True)
    except IntegrityError:
        raise ValidationError({"idempotency_key": _("This idempotency key was used by another send.")}) from None
    return send


def invitations_create(*, send: SurveySend, contacts: QuerySet[Contact], now: datetime) -> int:
    """One invitation and one deferred email per contact: a read, one INSERT of the emails, one of the invitations."""
    rows = list(contacts.order_by("pk").values_list("pk", "email", "preferred_language"))
    return invitations_write(send=send, rows=rows, now=now)


@dataclass(frozen=True)
class Pacing:
    """When each invitation of a campaign wave leaves: its day (`batches[i]`, from 0) and that day's moment."""

    batches: Sequence[int]
    due: Sequence[datetime]
    expires: Sequence[datetime]


def invitations_write(
    *,
    send: SurveySend,
    rows: Sequence[tuple[int, str, str]],
    now: datetime,
    pacing: Pacing | None = None,
    context: dict[str, Any] | None = None,
) -> int:
    """Write an invitation and its deferred email for each (contact id, email, preferred language) row: one INSERT
    of the emails, one of the invitations, whatever their number. Without `pacing` every email may leave now and
    every invitation expires with the send; `context` goes into every email's (a campaign's id)."""
    organization: Organization = send.organization
    survey, version = send.survey, send.version
    if not rows:
        return 0
    tokens = [new_token() for _row in rows]
    languages = {language: language_of(survey, version, language) for _pk, _email, language in rows}
    extra = context or {}
    message_ids = email_enqueue_many(
        organization=organization,
        renderer=INVITATION_RENDERER,
        rows=[
            (email, {"token": token, "version": version.pk, "language": languages[language], **extra})
            for (_pk, email, language), token in zip(rows, tokens, strict=True)
        ],
        due=pacing.due if pacing else None,
    )
    batches = pacing.batches if pacing else [0] * len(rows)
    expires = pacing.expires if pacing else [send.expires_at] * len(rows)
    invitations = [
        (pk, token_hash(token), languages[language], message_id, batch, expiry)
        for (pk, _email, language), token, message_id, batch, expiry in zip(
            rows, tokens, message_ids, batches, expires, strict=True
        )
    ]
    insert_rows(
        Invitation,
        same={"organization": organization, "send": send, "survey": survey, "version": version, "created_at": now,
              "reminders_sent": 0},
        columns=["contact", "token_hash", "language", "message", "batch", "expires_at"],
        rows=invitations,
    )  # fmt: skip
    return len(rows)


def scale_links(question: Question | None) -> list[int]:
    """The scores an invitation email offers as links: the first question's, when it is NPS, CSAT or CES."""
    if question is None or question.kind not in (Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES):
        return []
    low, high = question.scale or (0, 0)
    return list(range(low, high + 1))


def contacts_for(
    *, organization: Organization, contact_ids: Iterable[int] = (), segment: str = "", customer_id: int | None = None
) -> QuerySet[Contact]:
    """The contacts a send names: chosen one by one, every contact of a segment, or a customer's contacts."""
    contacts = Contact.objects.filter(organization=organization)
    where = Q(pk__in=list(contact_ids)) if contact_ids else Q()
    if segment:
        where |= Q(customer__segment=segment, customer__archived_at__isnull=True)
    if customer_id:
        where |= Q(customer_id=customer_id)
    if not where:
        return contacts.none()
    return contacts.filter(where)
