"""What the feedback inbox shows elsewhere: its dashboard cards and its panel on a customer's page."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from customers.models import Contact, Customer
from feedback.models import FeedbackItem
from feedback.selectors.inbox import ME, OPEN, UNASSIGNED
from qms.modules import CustomerPanel, DashboardCard
from qms.tenancy.models import Membership, Organization

Status = FeedbackItem.Status
RECENT_ON_CUSTOMER_PAGE = 5


def dashboard_cards(*, organization: Organization, membership: Membership) -> list[DashboardCard]:
    counts = FeedbackItem.objects.filter(organization=organization).aggregate(
        open=Count("pk", filter=~Q(status=Status.CLOSED)),
        unassigned=Count("pk", filter=~Q(status=Status.CLOSED) & Q(assignee__isnull=True)),
        mine=Count("pk", filter=~Q(status=Status.CLOSED) & Q(assignee_id=membership.user_id)),
    )
    inbox = reverse("feedback:inbox", kwargs={"org_slug": organization.slug})
    return [
        DashboardCard("Open feedback", counts["open"], f"{inbox}?{urlencode({'status': OPEN})}"),
        DashboardCard(
            "Unassigned feedback",
            counts["unassigned"],
            f"{inbox}?{urlencode({'status': OPEN, 'assignee': UNASSIGNED})}",
        ),
        DashboardCard("Assigned to me", counts["mine"], f"{inbox}?{urlencode({'status': OPEN, 'assignee': ME})}"),
    ]


def customer_feedback_panel(*, organization: Organization, membership: Membership, customer: Customer) -> CustomerPanel:
    """The customer's latest feedback, with how much there is and a link to all of it in the inbox."""
    return _feedback_panel(organization, {"customer": customer.pk}, whose=f"{customer.name}’s", who="this customer")


def contact_feedback_panel(*, organization: Organization, membership: Membership, contact: Contact) -> CustomerPanel:
    """The feedback this contact gave (whichever customer it was recorded for), as on a customer's page."""
    return _feedback_panel(organization, {"contact": contact.pk}, whose=f"{contact.name}’s", who="this person")


def _feedback_panel(organization: Organization, where: dict[str, int], *, whose: str, who: str) -> CustomerPanel:
    filters = {f"{name}_id": value for name, value in where.items()}
    items = FeedbackItem.objects.filter(organization=organization, **filters).order_by(
        "-received_on", "-created_at", "-pk"
    )
    counts = items.aggregate(total=Count("pk"), open=Count("pk", filter=~Q(status=Status.CLOSED)))
    inbox = reverse("feedback:inbox", kwargs={"org_slug": organization.slug})
    return CustomerPanel(
        title="Feedback",
        template="feedback/partials/_customer_panel.html",
        context={
            "recent": list(items[:RECENT_ON_CUSTOMER_PAGE]),
            "total": counts["total"],
            "open": counts["open"],
            "all_url": f"{inbox}?{urlencode(where)}",
            "all_label": f"All of {whose} feedback in the inbox",
            "empty": f"No feedback from {who} yet. What they tell you by any channel will gather here.",
        },
        order=20,
    )
