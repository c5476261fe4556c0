"""What the campaign pages and API read: the list, a campaign's live progress, its waves with their response rate
and score, and what each wave left out. Counted in the database, a constant number of statements per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from customers.models import Contact
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Organization
from surveys.models import Campaign, CampaignExclusion, CampaignStep, Invitation, SurveySend
from surveys.selectors.results import QuestionScore, question_scores

Mail = OutboxMessage.State
RATE_WINDOW = timedelta(minutes=5)  # how far back the sending rate is measured, for "how long the rest will take"


def campaigns_for_organization(*, organization: Organization) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(organization=organization)
        .select_related("survey", "created_by")
        .annotate(
            wave_count=Count("sends", distinct=True),
            next_due=Max("steps__due_at", filter=Q(steps__state=CampaignStep.State.DUE, steps__kind="wave")),
        )
    )


def next_wave_at(campaign: Campaign) -> datetime | None:
    """When the campaign's next wave is due, if one is planned (none before launch, none once it has ended)."""
    return (
        CampaignStep.objects.filter(
            organization=campaign.organization,
            campaign=campaign,
            kind=CampaignStep.Kind.WAVE,
            state=CampaignStep.State.DUE,
        )  # fmt: skip
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def campaign_search(queryset: QuerySet[Campaign], value: str) -> QuerySet[Campaign]:
    return queryset.filter(Q(name__icontains=value) | Q(reference__icontains=value) | Q(survey__name__icontains=value))


@dataclass(frozen=True)
class Progress:
    """Where a campaign's invitations stand now, across its waves."""

    counts: dict[str, int]
    rate_per_minute: float  # sent in the last RATE_WINDOW, per minute

    @property
    def waiting(self) -> int:
        return self.counts["queued"] + self.counts["deferred"]

    @property
    def minutes_left(self) -> int | None:
        """How long the emails due now will take at the current pace (None when nothing is sending)."""
        if not self.waiting or not self.rate_per_minute:
            return None
        return max(1, round(self.waiting / self.rate_per_minute))

    @property
    def done(self) -> int:
        return self.counts["sent"] + self.counts["failed"]


def campaign_progress(campaign: Campaign, *, send: SurveySend | None = None) -> Progress:
    """The counts of the campaign's invitations (or one wave's): one statement, plus one for the pace."""
    now = timezone.now()
    invitations = Invitation.objects.filter(organization_id=campaign.organization_id, send__campaign=campaign)
    if send is not None:
        invitations = invitations.filter(send=send)
    pending = Q(message__state=Mail.PENDING)
    counts = invitations.aggregate(
        invited=Count("pk"),
        scheduled=Count("pk", filter=pending & Q(message__next_attempt_at__gt=now, message__attempts=0)),
        queued=Count("pk", filter=pending & Q(message__next_attempt_at__lte=now, message__attempts=0)),
        deferred=Count("pk", filter=pending & Q(message__attempts__gt=0)),
        sent=Count("pk", filter=Q(message__state=Mail.SENT)),
        failed=Count("pk", filter=Q(message__state=Mail.FAILED)),
        withheld=Count("pk", filter=Q(message__state=Mail.CANCELLED)),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        unsubscribed=Count(
            "pk",
            filter=Q(
                contact__consent=Contact.Consent.OPTED_OUT, contact__consent_changed_at__gte=F("send__created_at")
            ),
        ),
        # the address found undeliverable after the wave was sent: a bounce or a complaint (customers.mail_events)
        bounced=Count("pk", filter=Q(contact__undeliverable_at__gte=F("send__created_at"))),
    )
    recent = invitations.filter(message__sent_at__gte=now - RATE_WINDOW).count()
    return Progress(counts={k: v or 0 for k, v in counts.items()}, rate_per_minute=recent / 5)


@dataclass(frozen=True)
class Wave:
    send: SurveySend
    invited: int
    delivered: int
    answered: int
    skipped: dict[str, int]
    score: QuestionScore | None

    @property
    def response_rate(self) -> float | None:
        return 100 * self.answered / self.delivered if self.delivered else None


def campaign_waves(campaign: Campaign, *, limit: int = 24) -> list[Wave]:
    """The campaign's waves, newest first, each with its response rate and its first scored question's score."""
    sends = list(
        SurveySend.objects.filter(organization_id=campaign.organization_id, campaign=campaign)
        .select_related("survey", "version")
        .annotate(
            delivered=Count("invitations", filter=Q(invitations__message__state=Mail.SENT)),
            answered=Count("invitations", filter=Q(invitations__answered_at__isnull=False)),
        )
        .order_by("-created_at", "-pk")[:limit]
    )
    waves = []
    for send in sends:
        scores = question_scores(survey=send.survey, send=send)
        waves.append(
            Wave(send, send.invited, send.delivered, send.answered, send.skipped, scores[0] if scores else None)
        )
    return waves


def exclusion_counts(campaign: Campaign) -> dict[str, int]:
    rows = (
        CampaignExclusion.objects.filter(organization_id=campaign.organization_id, step__campaign=campaign)
        .values_list("reason")
        .annotate(n=Count("pk"))
    )
    return dict(rows.values_list("reason", "n"))


def campaign_totals(campaign: Campaign) -> dict[str, int]:
    sent = SurveySend.objects.filter(organization_id=campaign.organization_id, campaign=campaign)
    return {k: v or 0 for k, v in sent.aggregate(invited=Sum("invited"), waves=Count("pk")).items()}
