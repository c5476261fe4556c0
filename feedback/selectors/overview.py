"""What the feedback inbox shows elsewhere: its dashboard figures and lists, its weekly counts for the dashboard's
chart, and its panel on a customer's and a contact's page."""

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from customers.models import Contact, Customer
from feedback.models import FeedbackItem
from feedback.selectors.inbox import ME, OPEN, UNASSIGNED
from qms.dashboard import BAD, GOOD, MINE, NEEDED, NEW, Attention, AttentionItem, Period
from qms.modules import CustomerPanel, DashboardCard
from qms.tenancy.access import MANAGERS, has_role
from qms.tenancy.models import Membership, Organization

Status = FeedbackItem.Status
Sentiment = FeedbackItem.Sentiment
RECENT_ON_CUSTOMER_PAGE = 5
ATTENTION_ITEMS = 5  # the first items of each dashboard list; the list links to the rest
# An open item is overdue when it was received more than this many days ago (until organisations set a target).
OVERDUE_AFTER_DAYS = 7


def dashboard_cards(*, organization: Organization, membership: Membership, period: Period) -> list[DashboardCard]:
    """Received (with its sentiments), the share marked negative, open and closed over `period`, each against the
    previous period, in one query."""
    previous = period.previous
    received = Q(received_on__range=(period.start, period.end))
    received_before = Q(received_on__range=(previous.start, previous.end))
    negative = Q(sentiment=Sentiment.NEGATIVE)
    counts = FeedbackItem.objects.filter(organization=organization).aggregate(
        received=Count("pk", filter=received),
        received_before=Count("pk", filter=received_before),
        positive=Count("pk", filter=received & Q(sentiment=Sentiment.POSITIVE)),
        neutral=Count("pk", filter=received & Q(sentiment=Sentiment.NEUTRAL)),
        negative=Count("pk", filter=received & negative),
        negative_before=Count("pk", filter=received_before & negative),
        open=Count("pk", filter=~Q(status=Status.CLOSED)),
        # open when the period began: received before it, and not closed then (still open, or closed since)
        open_before=Count(
            "pk",
            filter=Q(received_on__lt=period.start) & (~Q(status=Status.CLOSED) | Q(closed_at__gte=period.since)),
        ),
        closed=Count("pk", filter=Q(status=Status.CLOSED, closed_at__gte=period.since, closed_at__lt=period.until)),
        closed_before=Count(
            "pk", filter=Q(status=Status.CLOSED, closed_at__gte=previous.since, closed_at__lt=previous.until)
        ),
    )
    inbox = reverse("feedback:inbox", kwargs={"org_slug": organization.slug})
    in_period = {"received_from": period.start.isoformat(), "received_to": period.end.isoformat()}
    sentiments = _(  # the received items by sentiment
        "%(positive)d positive · %(neutral)d neutral · %(negative)d negative"
    ) % {key: counts[key] for key in ("positive", "neutral", "negative")}
    return [
        DashboardCard(
            _("Feedback received"),
            counts["received"],
            f"{inbox}?{urlencode(in_period)}",
            hint=sentiments,
            previous=counts["received_before"],
            order=20,
        ),
        DashboardCard(
            _("Marked negative"),
            _share(counts["negative"], counts["received"]),
            f"{inbox}?{urlencode(in_period)}",
            hint=_("of the feedback received"),
            previous=_share(counts["negative_before"], counts["received_before"]),
            rising=BAD,
            unit="%",
            order=21,
        ),
        DashboardCard(
            _("Open feedback"),
            counts["open"],
            f"{inbox}?{urlencode({'status': OPEN})}",
            hint=_("not closed yet"),
            previous=counts["open_before"],
            rising=BAD,
            order=22,
        ),
        DashboardCard(
            _("Feedback closed"),
            counts["closed"],
            f"{inbox}?{urlencode({'status': Status.CLOSED})}",
            previous=counts["closed_before"],
            rising=GOOD,
            order=23,
        ),
    ]


def _share(part: int, whole: int) -> int:
    """A whole percentage; 0 of nothing."""
    return round(100 * part / whole) if whole else 0


def overdue_before(today: date) -> date:
    """An open item received before this day is overdue: OVERDUE_AFTER_DAYS days have passed without closing it."""
    return today - timedelta(days=OVERDUE_AFTER_DAYS)


def dashboard_attention(
    *, organization: Organization, membership: Membership, since: datetime, today: date
) -> list[Attention]:
    """What needs this member in the inbox: the open items assigned to them; overdue items (their own for staff,
    all for owners and managers) and, for those, the unassigned ones; and the items recorded since `since`."""
    items = FeedbackItem.objects.filter(organization=organization)
    still_open = ~Q(status=Status.CLOSED)
    late = still_open & Q(received_on__lt=overdue_before(today))
    mine = still_open & Q(assignee_id=membership.user_id)
    everyone = has_role(membership, *MANAGERS)
    lists = {
        "mine": mine,
        "overdue": late if everyone else late & Q(assignee_id=membership.user_id),
        "unassigned": still_open & Q(assignee__isnull=True) if everyone else Q(pk__in=[]),
        "new": Q(created_at__gt=since),
    }
    counts = items.aggregate(**{key: Count("pk", filter=where) for key, where in lists.items()})
    inbox = reverse("feedback:inbox", kwargs={"org_slug": organization.slug})
    last_day_in_time = overdue_before(today) - timedelta(days=1)

    def first(key: str, order: tuple[str, ...]) -> tuple[AttentionItem, ...]:
        if not counts[key]:
            return ()
        rows = items.filter(lists[key]).select_related("customer").order_by(*order)[:ATTENTION_ITEMS]
        return tuple(_attention_item(item, organization, today) for item in rows)

    found = [
        Attention(
            MINE,
            _("Feedback assigned to me"),
            counts["mine"],
            f"{inbox}?{urlencode({'status': OPEN, 'assignee': ME})}",
            first("mine", ("received_on", "pk")),
            order=20,
        ),
        Attention(
            NEEDED,
            _("Overdue feedback") if everyone else _("My overdue feedback"),
            counts["overdue"],
            f"{inbox}?{urlencode(_overdue_query(last_day_in_time, mine=not everyone))}",
            first("overdue", ("received_on", "pk")),
            tone=BAD,
            order=21,
        ),
        Attention(
            NEW,
            _("New feedback"),
            counts["new"],
            f"{inbox}?{urlencode({'received_from': timezone.localdate(since).isoformat()})}",
            first("new", ("-created_at", "-pk")),
            order=20,
        ),
    ]
    if everyone:
        found.insert(
            2,
            Attention(
                NEEDED,
                _("Unassigned feedback"),
                counts["unassigned"],
                f"{inbox}?{urlencode({'status': OPEN, 'assignee': UNASSIGNED})}",
                first("unassigned", ("received_on", "pk")),
                order=22,
            ),
        )
    return found


def _overdue_query(received_to: date, *, mine: bool) -> dict[str, str]:
    query = {"status": OPEN, "received_to": received_to.isoformat()}
    return {**query, "assignee": ME} if mine else query


def _attention_item(item: FeedbackItem, organization: Organization, today: date) -> AttentionItem:
    overdue = item.status != Status.CLOSED and item.received_on < overdue_before(today)
    who = item.customer.name if item.customer else item.submitter_name
    days = (today - item.received_on).days
    # ngettext_lazy keyed by name: the catalogue tool (tests/i18n) extracts only calls of literal arguments.
    received = ngettext_lazy("received %(days)d day ago", "received %(days)d days ago", "days") % {"days": days}
    return AttentionItem(
        label=f"{item.reference} · {item.get_kind_display()}",
        url=reverse("feedback:feedback_detail", kwargs={"org_slug": organization.slug, "feedback_id": item.pk}),
        detail=" · ".join(filter(None, [who, received if days else _("received today")])),
        when=item.received_on,
        overdue=overdue,
    )


def feedback_received_by_week(*, organization: Organization, today: date, weeks: int = 12) -> list[tuple[date, int]]:
    """(Monday, items received that week) for the last `weeks` weeks, this one included, oldest first."""
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=back) for back in reversed(range(weeks))]
    per_day = (
        FeedbackItem.objects.filter(organization=organization, received_on__range=(mondays[0], today))
        .order_by()
        .values("received_on")
        .annotate(n=Count("pk"))
        .values_list("received_on", "n")
    )
    totals = dict.fromkeys(mondays, 0)
    for day, n in per_day:
        totals[day - timedelta(days=day.weekday())] += n
    return list(totals.items())


def customer_feedback_panel(*, organization: Organization, membership: Membership, customer: Customer) -> CustomerPanel:
    """The customer's latest feedback, with how much there is and a link to all of it in the inbox."""
    return _feedback_panel(
        organization,
        {"customer": customer.pk},
        all_label=_("All of %(name)s’s feedback in the inbox") % {"name": customer.name},
        empty=_("No feedback from this customer yet. What they tell you by any channel will gather here."),
    )


def contact_feedback_panel(*, organization: Organization, membership: Membership, contact: Contact) -> CustomerPanel:
    """The feedback this contact gave (whichever customer it was recorded for), as on a customer's page."""
    return _feedback_panel(
        organization,
        {"contact": contact.pk},
        all_label=_("All of %(name)s’s feedback in the inbox") % {"name": contact.name},
        empty=_("No feedback from this person yet. What they tell you by any channel will gather here."),
    )


def _feedback_panel(organization: Organization, where: dict[str, int], *, all_label: str, empty: str) -> CustomerPanel:
    filters = {f"{name}_id": value for name, value in where.items()}
    items = FeedbackItem.objects.filter(organization=organization, **filters).order_by(
        "-received_on", "-created_at", "-pk"
    )
    counts = items.aggregate(total=Count("pk"), open=Count("pk", filter=~Q(status=Status.CLOSED)))
    inbox = reverse("feedback:inbox", kwargs={"org_slug": organization.slug})
    return CustomerPanel(
        title=_("Feedback"),
        template="feedback/partials/_customer_panel.html",
        context={
            "recent": list(items[:RECENT_ON_CUSTOMER_PAGE]),
            "total": counts["total"],
            "open": counts["open"],
            "all_url": f"{inbox}?{urlencode(where)}",
            "all_label": all_label,
            "empty": empty,
        },
        order=20,
    )
