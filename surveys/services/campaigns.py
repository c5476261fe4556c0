"""Campaigns: a survey version sent to an audience on a schedule, reminded, paced, paused, and never sent twice.

A campaign is designed as a draft, checked (the audience after exclusions, the translations its contacts need) and
launched; from then on its waves and reminders are `CampaignStep` rows with a due time. Beat claims the due steps
(surveys.tasks.run_campaigns, every CAMPAIGN_SECONDS): each is locked with skip_locked and done in the transaction
that marks it done, so two beats never build one wave twice, and a step whose time came while Redis was down waits
for the next beat. Building a wave reads the audience once, leaves out whom it must (opted out, undeliverable, no
address, invited by a campaign within the organisation's fatigue rule, a language the survey does not speak yet),
records each exclusion, and writes the invitations and their deferred emails set-based (two INSERTs whatever their
number); the outbox workers render and send them. A wave spread over days ("2,000 a day") gives each day's
invitations that day's moment as their emails' due time, and each day its own reminders.

Pausing withdraws the campaign's emails that have not left; resuming puts back those whose time is still to come
and, only when asked, the ones whose time passed during the pause (and the steps that fell due meanwhile).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from customers.models import Contact
from customers.selectors.saved_views import saved_view_by_id, saved_view_contacts
from qms.accounts.models import User
from qms.audit.services import audit_record
from qms.audit.writes import audited_create, audited_update
from qms.bulk import insert_rows
from qms.outbox.models import OutboxMessage
from qms.outbox.services import email_enqueue_many, email_enqueue_rendered, outbox_cancel
from qms.tenancy.crossings import crossing_ids
from qms.tenancy.models import Organization
from qms.tenancy.references import next_reference
from surveys.emails import render_test_email
from surveys.models import (
    Campaign,
    CampaignExclusion,
    CampaignMember,
    CampaignStep,
    Invitation,
    OutreachRule,
    Survey,
    SurveySend,
    SurveyVersion,
)
from surveys.schedule import Every, Recurrence, local_moment
from surveys.texts import base, missing_texts

from .check_ins import check_in_audience, check_ins_build, check_ins_expire, check_ins_remind
from .design import latest_version
from .sending import (
    INVITATION_RENDERER,
    Pacing,
    SendCheck,
    gate_message,
    invitations_write,
    language_of,
    sendable_version,
)

ORGANIZATIONS_WITH_DUE_CAMPAIGN_STEPS = """
CREATE OR REPLACE FUNCTION app_organizations_with_due_campaign_steps(due timestamptz) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT DISTINCT s.organization_id FROM surveys_campaignstep s
  JOIN surveys_campaign c ON c.id = s.campaign_id
  WHERE s.state = 'due' AND s.due_at <= due AND c.status = 'running'
$$
"""

Reason = CampaignExclusion.Reason
Consent = Contact.Consent
Mail = OutboxMessage.State
MAX_REMINDERS = 5
CAMPAIGN_FIELDS = (
    "name", "kind", "leader", "survey", "audience", "audience_value", "every", "every_days", "start_on", "at",
    "per_day", "expiry_days", "reminders",
)  # fmt: skip


# --- the organisation's contact rule ------------------------------------------------------------------------


def outreach_rule(organization: Organization) -> OutreachRule:
    """The organisation's fatigue rule; the default one (30 days across campaigns) until a manager changes it."""
    rule = OutreachRule.objects.filter(organization=organization).first()
    return rule or OutreachRule(organization=organization)


def outreach_rule_update(
    *, organization: Organization, actor: User, campaign_days: int, transactional_days: int
) -> OutreachRule:
    values = {"campaign_days": campaign_days, "transactional_days": transactional_days}
    rule = OutreachRule.objects.filter(organization=organization).first()
    if rule is None:
        return audited_create(
            instance=OutreachRule(organization=organization, **values), actor=actor, action="outreach_rule.create"
        )
    rule, _changes = audited_update(instance=rule, actor=actor, action="outreach_rule.update", data=values)
    return rule


def recently_invited(*, organization: Organization, days: int, now: datetime, kind: str) -> QuerySet[Invitation]:
    """The invitations of sends of `kind` written within the last `days` days: whom the fatigue rule holds back."""
    return Invitation.objects.filter(
        organization=organization, send__kind=kind, created_at__gt=now - timedelta(days=days), revoked_at__isnull=True
    )


# --- designing a campaign -----------------------------------------------------------------------------------


def _clean(fields: dict[str, Any], organization: Organization) -> dict[str, Any]:
    """Check a campaign's settings together, naming the field each error belongs to."""
    errors: dict[str, str] = {}
    audience, value = fields.get("audience"), (fields.get("audience_value") or "").strip()
    fields["audience_value"] = value
    check_in = fields.get("kind") == Campaign.Kind.CHECK_IN
    if check_in and audience not in (Campaign.Audience.SEGMENT, Campaign.Audience.REGION):
        errors["audience"] = _("A check-in calls on the customers of a segment or a region: choose one.")
    if not check_in and fields.get("survey") is None:
        errors["survey"] = _("Choose the survey the campaign sends.")
    if check_in:
        fields["survey"], fields["per_day"] = None, 0
        fields["reminders"] = [{"after_days": r.get("after_days")} for r in fields.get("reminders") or []]
    else:
        fields["leader"] = None
    if audience in (Campaign.Audience.SEGMENT, Campaign.Audience.REGION, Campaign.Audience.SAVED_VIEW) and not value:
        errors["audience_value"] = _("Choose the segment, region or saved view the campaign goes to.")
    elif (
        audience == Campaign.Audience.SAVED_VIEW and saved_view_by_id(organization=organization, view_id=value) is None
    ):
        errors["audience_value"] = _("That saved view of the directory no longer exists. Choose another.")
    if fields.get("every") == Campaign.Every.DAYS and not 1 <= int(fields.get("every_days") or 0) <= 366:
        errors["every_days"] = _("Give the number of days between waves, from 1 to 366.")
    reminders = fields.get("reminders") or []
    expiry = int(fields.get("expiry_days") or 30)
    if len(reminders) > MAX_REMINDERS:
        errors["reminders"] = _("A campaign sends at most %(count)d reminders.") % {"count": MAX_REMINDERS}
    previous = 0
    for n, reminder in enumerate(reminders, start=1):
        after = int(reminder.get("after_days") or 0)
        if after <= previous:
            errors["reminders"] = _("Reminder %(n)d must come later than the one before it.") % {"n": n}
        elif after >= expiry:
            errors["reminders"] = _(
                "Reminder %(n)d comes after %(days)d days, when the invitations have expired (after %(expiry)d)."
            ) % {"n": n, "days": after, "expiry": expiry}
        elif not check_in and not any((text or "").strip() for text in (reminder.get("subject") or {}).values()):
            errors["reminders"] = _("Reminder %(n)d needs a subject.") % {"n": n}
        previous = after
    if errors:
        raise ValidationError(errors)
    return fields


def campaign_create(*, organization: Organization, actor: User, **fields: Any) -> Campaign:
    _clean(fields, organization)
    with transaction.atomic():
        campaign = Campaign(
            organization=organization,
            reference=next_reference(organization=organization, prefix="CMP"),
            created_by=actor,
            **{name: fields[name] for name in CAMPAIGN_FIELDS if name in fields},
        )
        return audited_create(instance=campaign, actor=actor, action="campaign.create")


def campaign_update(*, campaign: Campaign, actor: User, **fields: Any) -> Campaign:
    """Change a draft's settings; a launched campaign keeps its audience and schedule (cancel and start anew)."""

    def prepare(locked: Campaign) -> None:
        if locked.status != Campaign.Status.DRAFT:
            raise ValidationError(_("Only a draft campaign can be changed. Cancel it and start a new one."))

    _clean(fields, campaign.organization)
    campaign, _changes = audited_update(
        instance=campaign, actor=actor, action="campaign.update", prepare=prepare,
        data={name: fields[name] for name in CAMPAIGN_FIELDS if name in fields},
    )  # fmt: skip
    return campaign


def members_add(*, campaign: Campaign, actor: User | None, contacts: Iterable[int], source: str) -> int:
    """Name contacts for the campaign (an uploaded list, or one by one through the API); those already named are
    left as they are. Returns how many were added."""
    organization = campaign.organization
    with transaction.atomic():
        known = set(
            CampaignMember.objects.filter(organization=organization, campaign=campaign).values_list(
                "contact_id", flat=True
            )
        )
        new = sorted(set(contacts) - known)
        insert_rows(
            CampaignMember,
            same={"organization": organization, "campaign": campaign, "source": source, "added_at": timezone.now()},
            columns=["contact"],
            rows=[(pk,) for pk in new],
        )
        if new and source == CampaignMember.Source.LIST:
            audit_record(
                organization=organization, actor=actor, action="campaign.update", obj=campaign,
                changes={"members_added": [None, len(new)]},
            )  # fmt: skip
    return len(new)


def campaign_for_api(*, organization: Organization, reference: str) -> Campaign:
    """The campaign a transactional call names by its reference: one that takes contacts through the API."""
    campaign = Campaign.objects.filter(organization=organization, reference=reference).select_related("survey").first()
    if campaign is None:
        raise ValidationError({"campaign": _("There is no campaign %(reference)s.") % {"reference": reference}})
    if campaign.audience != Campaign.Audience.API:
        raise ValidationError({"campaign": _("Campaign %(reference)s does not take contacts through the API.") % {
            "reference": reference}})  # fmt: skip
    if campaign.status in (Campaign.Status.CANCELLED, Campaign.Status.FINISHED):
        raise ValidationError({"campaign": _("Campaign %(reference)s has ended.") % {"reference": reference}})
    return campaign


def survey_of(campaign: Campaign) -> Survey:
    """The survey a campaign sends; a leadership check-in sends none."""
    if campaign.survey is None:
        raise ValidationError(_("A leadership check-in sends no survey."))
    return campaign.survey


def campaign_join(*, campaign: Campaign, survey: Survey, contact: Contact, actor: User | None) -> bool:
    """The transactional call's `campaign`: the contact joins the campaign and is invited by its next wave (with
    its reminders, expiry and the contact rule). Returns whether it was newly added (a retried call adds nothing)."""
    if campaign.survey_id != survey.pk:
        raise ValidationError({"campaign": _("Campaign %(reference)s sends “%(survey)s”, not this survey.") % {
            "reference": campaign.reference, "survey": survey_of(campaign).name}})  # fmt: skip
    return members_add(campaign=campaign, actor=actor, contacts=[contact.pk], source=CampaignMember.Source.API) == 1


def transactional_hold(*, contact: Contact, now: datetime | None = None) -> Invitation | None:
    """The transactional invitation that the contact rule says is too recent for another one, if any."""
    days = outreach_rule(contact.organization).transactional_days
    if not days:
        return None
    recent = recently_invited(
        organization=contact.organization, days=days, now=now or timezone.now(), kind=SurveySend.Kind.TRANSACTIONAL
    )
    return recent.filter(contact=contact).order_by("-created_at").first()


# --- the audience -------------------------------------------------------------------------------------------


def audience_contacts(campaign: Campaign) -> QuerySet[Contact]:
    """Everyone the campaign names at this moment, before exclusions (evaluated again at every wave)."""
    organization = campaign.organization
    contacts = Contact.objects.filter(organization=organization)
    kind, value = campaign.audience, campaign.audience_value
    if kind == Campaign.Audience.SEGMENT:
        return contacts.filter(customer__segment=value, customer__archived_at__isnull=True)
    if kind == Campaign.Audience.REGION:
        return contacts.filter(customer__region=value, customer__archived_at__isnull=True)
    if kind == Campaign.Audience.SAVED_VIEW:  # the view's filters, read again at every wave
        view = saved_view_by_id(organization=organization, view_id=value)
        return saved_view_contacts(view) if view is not None else contacts.none()
    members = CampaignMember.objects.filter(organization=organization, campaign=campaign)
    if kind == Campaign.Audience.API:
        members = members.filter(invited_at__isnull=True)  # each added contact once, at the first wave after
    return contacts.filter(pk__in=members.values("contact_id"))


@dataclass
class Audience:
    """A wave's audience after exclusions: whom it invites (contact id, email, preferred language), whom it leaves
    out and why, and the languages (of the survey's spelling) whose translation is incomplete, with the texts."""

    invited: list[tuple[int, str, str]]
    excluded: list[tuple[int, str]]
    missing: dict[str, list[str]] = field(default_factory=dict)
    erased: int = 0

    @property
    def skipped(self) -> dict[str, int]:
        return dict(Counter(reason for _pk, reason in self.excluded))

    @property
    def languages(self) -> dict[str, int]:
        return dict(Counter(language for _pk, _email, language in self.invited))


def audience_of(campaign: Campaign, *, now: datetime, version: SurveyVersion | None = None) -> Audience:
    """Read the audience once and sort it: the invited, and each exclusion with its reason. Three statements: the
    contacts, the fatigue rule's recent invitations, the version's questions."""
    organization, survey = campaign.organization, survey_of(campaign)
    version = version or campaign.version or sendable_version(survey)
    rule = outreach_rule(organization)
    recent: set[int] = set()
    if rule.campaign_days:
        recent = set(
            recently_invited(organization=organization, days=rule.campaign_days, now=now, kind=SurveySend.Kind.CAMPAIGN)
            .values_list("contact_id", flat=True)
            .distinct()
        )
    rows = list(
        audience_contacts(campaign)
        .order_by("pk")
        .values_list("pk", "email", "preferred_language", "consent", "erased_at", "undeliverable_at")
    )
    questions = list(version.questions.all())
    gaps: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    audience = Audience(invited=[], excluded=[])
    for pk, email, preferred, consent, erased_at, undeliverable_at in rows:
        if erased_at is not None:
            audience.erased += 1
            continue
        reason = _excluded(email, consent, undeliverable_at is not None, pk in recent)
        if reason is None:
            code = language_of(survey, version, preferred)
            if code not in gaps:
                gaps[code] = missing_texts(version, code, questions) if code else []
            if gaps[code]:
                missing[code] = gaps[code]
                reason = Reason.LANGUAGE
        if reason is None:
            audience.invited.append((pk, email, preferred))
        else:
            audience.excluded.append((pk, reason))
    audience.missing = missing
    return audience


def _excluded(email: str, consent: str, undeliverable: bool, fatigued: bool) -> str | None:
    if consent == Consent.OPTED_OUT:
        return Reason.OPTED_OUT
    if not email:
        return Reason.NO_EMAIL
    if undeliverable:  # a hard bounce, a complaint, or three soft bounces in a row (customers.mail_events)
        return Reason.UNDELIVERABLE
    if fatigued:
        return Reason.FATIGUE
    return None


@dataclass
class Preview:
    """What the campaign's next wave would do now, for its page before launch."""

    audience: Audience
    reminder_gaps: list[str]
    gate: str = ""  # the translation gate's refusal, naming each missing text

    @property
    def ready(self) -> bool:
        return bool(self.audience.invited) and not self.audience.missing and not self.reminder_gaps


def campaign_preview(campaign: Campaign, *, now: datetime | None = None) -> Preview:
    now = now or timezone.now()
    version = campaign.version or sendable_version(survey_of(campaign))
    audience = audience_of(campaign, now=now, version=version)
    gate = gate_text(audience.missing, version) if audience.missing else ""
    return Preview(audience=audience, reminder_gaps=reminder_gaps(campaign, version, audience), gate=gate)


def reminder_gaps(campaign: Campaign, version: SurveyVersion, audience: Audience) -> list[str]:
    """The reminder texts missing in a language the audience reads: "Reminder 1: subject (de)"."""
    survey = survey_of(campaign)
    needed = {language_of(survey, version, language) for language in audience.languages} | {survey.default_language}
    gaps = []
    for n, reminder in enumerate(campaign.reminders or [], start=1):
        for part, label in (("subject", _("subject")), ("body", _("message"))):
            given = {base(code) for code, text in (reminder.get(part) or {}).items() if (text or "").strip()}
            for language in sorted(needed):
                if base(language) not in given:
                    gaps.append(_("Reminder %(n)d: %(part)s (%(language)s)") % {"n": n, "part": label,
                                                                                  "language": language})  # fmt: skip
    return gaps


def reminder_text(reminder: dict, part: str, language: str, default: str) -> str:
    """A reminder's subject or message in `language`, else in the survey's default language."""
    texts = {base(code): text for code, text in (reminder.get(part) or {}).items() if (text or "").strip()}
    return texts.get(base(language)) or texts.get(base(default)) or ""


# --- launching, pausing, resuming, cancelling ---------------------------------------------------------------


def recurrence(campaign: Campaign) -> Recurrence:
    return Recurrence(every=Every(campaign.every), start=campaign.start_on, at=campaign.at, days=campaign.every_days)


def campaign_launch(*, campaign: Campaign, actor: User, now: datetime | None = None) -> Campaign:
    """Check the audience and the translations, fix the version, and schedule the first wave."""
    now = now or timezone.now()
    zone = campaign.organization.zone()
    with transaction.atomic():

        def prepare(locked: Campaign) -> dict[str, Any]:
            change = Campaign.workflow.apply(locked, "launch")
            if locked.kind == Campaign.Kind.CHECK_IN:
                return {**change, **_check_in_launch(locked, now, zone)}
            survey = survey_of(locked)
            if survey.status == Survey.Status.CLOSED or survey.archived_at is not None:
                raise ValidationError(_("The campaign's survey is closed. Reopen it first."))
            version = sendable_version(survey)
            if locked.audience not in (Campaign.Audience.API, Campaign.Audience.LIST) or locked.members.exists():
                preview = campaign_preview(locked, now=now)
                if preview.gate:
                    raise ValidationError(preview.gate)
                if preview.reminder_gaps:
                    raise ValidationError(
                        _("Some reminders are not written in every language the audience reads: %(gaps)s.")
                        % {"gaps": "; ".join(preview.reminder_gaps)}
                    )
                if not preview.audience.invited and locked.audience != Campaign.Audience.API:
                    raise ValidationError(_("Nobody in this audience can be invited: see the exclusions."))
            first = recurrence(locked).next_wave(zone=zone, after=now)
            if first is None:
                raise ValidationError({"start_on": _("The campaign's only wave is in the past. Choose a later time.")})
            if version.locked_at is None:
                SurveyVersion.objects.filter(organization=locked.organization, pk=version.pk).update(locked_at=now)
            if survey.status == Survey.Status.DRAFT:
                Survey.objects.filter(organization=locked.organization, pk=survey.pk).update(status=Survey.Status.OPEN)
            CampaignStep.objects.create(
                organization=locked.organization, campaign=locked, kind=CampaignStep.Kind.WAVE, wave=1, due_at=first
            )
            return {**change, "version": version, "launched_at": now}

        campaign, _changes = audited_update(
            instance=campaign, actor=actor, action="campaign.launch", prepare=prepare, related=("survey",)
        )
    return campaign


def _check_in_launch(campaign: Campaign, now: datetime, zone: Any) -> dict[str, Any]:
    rows, _nobody = check_in_audience(campaign)
    if not rows:
        raise ValidationError(_("Nobody is there to hold these conversations: name a leader, or give the customers "
                                "account owners."))  # fmt: skip
    first = recurrence(campaign).next_wave(zone=zone, after=now)
    if first is None:
        raise ValidationError({"start_on": _("The campaign's only wave is in the past. Choose a later time.")})
    CampaignStep.objects.create(
        organization=campaign.organization, campaign=campaign, kind=CampaignStep.Kind.WAVE, wave=1, due_at=first
    )
    return {"launched_at": now}


def campaign_test_send(*, campaign: Campaign, actor: User) -> int:
    """Send the manager the campaign's emails as a contact would get them, in the manager's language where the
    survey speaks it (else its default): the invitation, then each reminder, each its own email marked as a test,
    whose links open the survey's preview. Nothing is recorded against any contact. Returns how many were sent."""
    survey = survey_of(campaign)
    version = campaign.version or sendable_version(survey)
    language = language_of(survey, version, getattr(actor, "language", "") or survey.default_language)
    reminders = [None, *(campaign.reminders or [])]
    with transaction.atomic():
        for n, reminder in enumerate(reminders):
            texts = None
            if reminder is not None:
                texts = (reminder_text(reminder, "subject", language, survey.default_language),
                         reminder_text(reminder, "body", language, survey.default_language))  # fmt: skip
            rendered = render_test_email(version=version, language=language, expiry_days=campaign.expiry_days,
                                         reminder=texts)  # fmt: skip
            email_enqueue_rendered(
                organization=campaign.organization, to=actor.email, purpose=f"campaign-test-{n}", rendered=rendered,
                subject_prefix=_("[Test] "),
            )  # fmt: skip
        audit_record(
            organization=campaign.organization, actor=actor, action="campaign.test_send", obj=campaign,
            changes={"to": [None, actor.email], "emails": [None, len(reminders)]},
        )  # fmt: skip
    return len(reminders)


def gate_text(missing: dict[str, list[str]], version: SurveyVersion) -> str:
    """The send's translation gate, word for word."""
    return gate_message(SendCheck(invited=0, skipped={}, languages={}, missing=missing), version)


def campaign_messages(campaign: Campaign) -> QuerySet[OutboxMessage]:
    """Every email the campaign wrote (its invitations' and its reminders'): each names the campaign."""
    return OutboxMessage.objects.filter(
        organization=campaign.organization, renderer=INVITATION_RENDERER, context__campaign=campaign.pk
    )


def campaign_pause(*, campaign: Campaign, actor: User) -> tuple[Campaign, int]:
    """Stop sending: nothing is built or sent while paused; the emails that had not left are withdrawn."""
    with transaction.atomic():
        campaign, _changes = audited_update(
            instance=campaign, actor=actor, action="campaign.pause",
            prepare=lambda c: {**Campaign.workflow.apply(c, "pause"), "paused_at": timezone.now()},
        )  # fmt: skip
        held = outbox_cancel(messages=campaign_messages(campaign).filter(state=Mail.PENDING))
    return campaign, held


def campaign_resume(
    *, campaign: Campaign, actor: User, send_skipped: bool = False, now: datetime | None = None
) -> tuple[Campaign, int, int]:
    """Send again from now on. The invitations whose time is still to come go then; those whose time passed during
    the pause, and the waves and reminders that fell due meanwhile, are skipped unless `send_skipped` asks for them
    (then they go now). Returns the campaign, the emails put back and those skipped."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign, _changes = audited_update(
            instance=campaign, actor=actor, action="campaign.resume",
            prepare=lambda c: {**Campaign.workflow.apply(c, "resume"), "paused_at": None},
        )  # fmt: skip
        due = CampaignStep.objects.filter(
            organization=campaign.organization, campaign=campaign, state=CampaignStep.State.DUE, due_at__lte=now
        )
        skipped = 0 if send_skipped else due.update(state=CampaignStep.State.SKIPPED, done_at=now)
        held = list(
            Invitation.objects.filter(
                organization=campaign.organization, send__campaign=campaign, answered_at__isnull=True,
                revoked_at__isnull=True, expires_at__gt=now, message__state=Mail.CANCELLED,
            )
            .order_by("pk")
            .values_list("pk", "message__to_email", "message__context", "message__next_attempt_at")
        )  # fmt: skip
        back = [row for row in held if send_skipped or row[3] > now]
        ids = email_enqueue_many(
            organization=campaign.organization,
            renderer=INVITATION_RENDERER,
            rows=[(to, context) for _pk, to, context, _when in back],
            due=[max(when, now) for _pk, _to, _context, when in back],
        )
        by_invitation = dict(zip([row[0] for row in back], ids, strict=True))
        invitations = list(Invitation.objects.filter(organization=campaign.organization, pk__in=by_invitation))
        for invitation in invitations:
            invitation.message_id = by_invitation[invitation.pk]
        Invitation.objects.bulk_update(invitations, ["message"], batch_size=1000)
        skipped_mail = len(held) - len(back)
        if back or skipped_mail or skipped:
            audit_record(
                organization=campaign.organization, actor=actor, action="campaign.resume", obj=campaign,
                changes={"emails_put_back": [None, len(back)], "emails_skipped": [None, skipped_mail],
                         "steps_skipped": [None, skipped]},
            )  # fmt: skip
    return campaign, len(back), skipped_mail + skipped


def campaign_cancel(*, campaign: Campaign, actor: User) -> tuple[Campaign, int]:
    """End the campaign: no more waves or reminders, and the emails that had not left are withdrawn (their links
    revoked). Links already delivered stay valid until they expire: customers may still answer."""
    now = timezone.now()
    with transaction.atomic():
        campaign, _changes = audited_update(
            instance=campaign, actor=actor, action="campaign.cancel",
            prepare=lambda c: {**Campaign.workflow.apply(c, "cancel"), "ended_at": now},
        )  # fmt: skip
        CampaignStep.objects.filter(
            organization=campaign.organization, campaign=campaign, state=CampaignStep.State.DUE
        ).update(state=CampaignStep.State.CANCELLED, done_at=now)
        withdrawn = outbox_cancel(messages=campaign_messages(campaign).filter(state=Mail.PENDING))
        Invitation.objects.filter(
            organization=campaign.organization, send__campaign=campaign, answered_at__isnull=True,
            revoked_at__isnull=True, message__state=Mail.CANCELLED,
        ).update(revoked_at=now)  # fmt: skip
    return campaign, withdrawn


# --- the steps beat claims ----------------------------------------------------------------------------------


def organizations_with_due_steps(*, now: datetime) -> list[int]:
    if connection.vendor == "postgresql":
        return crossing_ids("SELECT app_organizations_with_due_campaign_steps(%s)", [now])
    with scopes_disabled():
        return sorted(
            set(
                CampaignStep.objects.filter(
                    state=CampaignStep.State.DUE, due_at__lte=now, campaign__status=Campaign.Status.RUNNING
                ).values_list("organization_id", flat=True)
            )
        )


def steps_run(*, organization: Organization, now: datetime | None = None, limit: int = 20) -> int:
    """Do the organisation's due steps, each in its own transaction with its row locked (skip_locked): another beat
    or worker running at the same moment skips the rows this one holds, and finds them done once it can read them."""
    now = now or timezone.now()
    done = 0
    for _n in range(limit):
        with transaction.atomic():
            step = (
                CampaignStep.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    organization=organization, state=CampaignStep.State.DUE, due_at__lte=now,
                    campaign__status=Campaign.Status.RUNNING,
                )
                .select_related("campaign__survey", "campaign__version", "send")
                .order_by("due_at", "pk")
                .first()
            )  # fmt: skip
            if step is None:
                break
            check_in = step.campaign.kind == Campaign.Kind.CHECK_IN
            if step.kind == CampaignStep.Kind.WAVE:
                wave_build(step, now=now)
            elif step.kind == CampaignStep.Kind.REMINDER:
                check_ins_remind(step) if check_in else reminder_send(step, now=now)
            elif check_in:
                check_ins_expire(step)
            step.state, step.done_at = CampaignStep.State.DONE, now
            step.save(update_fields=["state", "done_at", "counts", "send"])
            if step.kind == CampaignStep.Kind.EXPIRY:
                _finish_if_done(step.campaign, now)
            done += 1
    return done


def _day_moment(campaign: Campaign, due: datetime, days: int) -> datetime:
    """The moment `days` local days after `due`, at the campaign's hour in the organisation's zone."""
    zone = campaign.organization.zone()
    local = timezone.localtime(due, zone)  # in the zone, so that adding days (an expiry) keeps the local hour
    return local_moment(local.date() + timedelta(days=days), campaign.at, zone) if days else local


def wave_build(step: CampaignStep, *, now: datetime) -> SurveySend | None:
    """Build one wave: the audience after exclusions, one send, its invitations and emails set-based, the
    exclusions listed, each day's reminders and the next wave scheduled."""
    campaign = step.campaign
    if campaign.kind == Campaign.Kind.CHECK_IN:
        assigned = check_ins_build(step, now=now)
        _next_wave(step, now)
        audit_record(
            organization=campaign.organization, actor=None, action="campaign.check_ins", obj=campaign,
            changes={"wave": [None, step.wave], "assigned": [None, assigned]},
        )  # fmt: skip
        return None
    organization, survey = campaign.organization, survey_of(campaign)
    version = campaign.version or latest_version(survey)
    audience = audience_of(campaign, now=now, version=version)
    rows = audience.invited
    per_day = campaign.per_day or len(rows) or 1
    days = (len(rows) + per_day - 1) // per_day
    moments = [_day_moment(campaign, step.due_at, day) for day in range(max(days, 1))]
    batches = [i // per_day for i in range(len(rows))]
    expiry = timedelta(days=campaign.expiry_days)
    pacing = Pacing(batches=batches, due=[moments[b] for b in batches], expires=[moments[b] + expiry for b in batches])
    step.counts = {"invited": len(rows), "skipped": audience.skipped, "days": days}
    insert_rows(
        CampaignExclusion,
        same={"organization": organization, "step": step},
        columns=["contact", "reason"],
        rows=audience.excluded,
    )
    if campaign.audience == Campaign.Audience.API:
        CampaignMember.objects.filter(
            organization=organization, campaign=campaign, invited_at__isnull=True,
            contact_id__in=[pk for pk, _reason in audience.excluded] + [pk for pk, _email, _lang in rows],
        ).update(invited_at=now)  # fmt: skip
    send = None
    if rows and survey.status != Survey.Status.CLOSED:
        send = SurveySend.objects.create(
            organization=organization, survey=survey, version=version, campaign=campaign,
            kind=SurveySend.Kind.CAMPAIGN, campaign_key=campaign.reference, invited=len(rows), skipped=audience.skipped,
            audience={"campaign": campaign.reference, "wave": step.wave}, expires_at=moments[-1] + expiry,
            created_at=now,
        )  # fmt: skip
        invitations_write(send=send, rows=rows, now=now, pacing=pacing, context={"campaign": campaign.pk})
        step.send = send
        for n, reminder in enumerate(campaign.reminders or [], start=1):
            CampaignStep.objects.bulk_create(
                CampaignStep(
                    organization=organization, campaign=campaign, kind=CampaignStep.Kind.REMINDER, wave=step.wave,
                    reminder=n, batch=day, send=send,
                    due_at=_day_moment(campaign, moments[day], int(reminder["after_days"])),
                )
                for day in range(days)
            )  # fmt: skip
        CampaignStep.objects.create(
            organization=organization, campaign=campaign, kind=CampaignStep.Kind.EXPIRY, wave=step.wave, send=send,
            due_at=send.expires_at,
        )  # fmt: skip
    elif rows:
        step.counts["survey_closed"] = True
    _next_wave(step, now)
    audit_record(
        organization=organization, actor=None, action="campaign.wave", obj=campaign,
        changes={"wave": [None, step.wave], "invited": [None, len(rows)],
                 "skipped": [None, sum(audience.skipped.values())]},  # by reason: the campaign's Left out page
    )  # fmt: skip
    return send


def _next_wave(step: CampaignStep, now: datetime) -> None:
    campaign = step.campaign
    following = recurrence(campaign).next_wave(zone=campaign.organization.zone(), after=max(step.due_at, now))
    if following is not None:
        CampaignStep.objects.get_or_create(
            organization=campaign.organization, campaign=campaign, kind=CampaignStep.Kind.WAVE, wave=step.wave + 1,
            reminder=0, batch=0, defaults={"due_at": following},
        )  # fmt: skip


def reminder_send(step: CampaignStep, *, now: datetime) -> int:
    """Remind the day's invitations that are unanswered, unexpired and unrevoked, whose first email left, and whose
    contact has not opted out since: the same link, in the reminder's own words and the invitation's language."""
    campaign, send = step.campaign, step.send
    if send is None:
        return 0
    reminder = (campaign.reminders or [])[step.reminder - 1] if step.reminder <= len(campaign.reminders or []) else {}
    default = survey_of(campaign).default_language
    waiting = Invitation.objects.filter(
        organization=campaign.organization, send=send, batch=step.batch, answered_at__isnull=True,
        revoked_at__isnull=True, expires_at__gt=now, message__state=Mail.SENT, contact__erased_at__isnull=True,
        contact__undeliverable_at__isnull=True,
    ).exclude(contact__consent=Consent.OPTED_OUT).exclude(contact__email="")  # fmt: skip
    rows = list(waiting.order_by("pk").values_list("pk", "contact__email", "language", "message__context"))
    email_enqueue_many(
        organization=campaign.organization,
        renderer=INVITATION_RENDERER,
        rows=[
            (email, {**context, "reminder": step.reminder,
                     "subject": reminder_text(reminder, "subject", language, default),
                     "body": reminder_text(reminder, "body", language, default)})
            for _pk, email, language, context in rows
        ],
    )  # fmt: skip
    Invitation.objects.filter(organization=campaign.organization, pk__in=[row[0] for row in rows]).update(
        reminders_sent=step.reminder
    )
    step.counts = {"reminded": len(rows)}
    return len(rows)


def _finish_if_done(campaign: Campaign, now: datetime) -> None:
    """A campaign with nothing left to do (its last wave built, its reminders sent, its links expired) is finished."""
    if CampaignStep.objects.filter(
        organization=campaign.organization, campaign=campaign, state=CampaignStep.State.DUE
    ).exists():
        return
    Campaign.objects.filter(organization=campaign.organization, pk=campaign.pk, status=Campaign.Status.RUNNING).update(
        status=Campaign.Status.FINISHED, ended_at=now
    )
    audit_record(
        organization=campaign.organization, actor=None, action="campaign.finish", obj=campaign,
        changes={"status": [Campaign.Status.RUNNING, Campaign.Status.FINISHED]},
    )  # fmt: skip
