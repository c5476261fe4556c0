"""What the inbox tells people (qms/notifications): a new item to whom the rules route it, on its channel, kind and
customer segment (the facts FeedbackConfig declares for "feedback.received"); an assigned item to its assignee."""

from django.utils.translation import gettext as _

from customers.models import Customer
from feedback.models import FeedbackItem
from qms.accounts.models import User
from qms.notifications.services import notify
from qms.tenancy.models import Organization


def channel_choices(organization: Organization) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in FeedbackItem.Channel.choices]


def kind_choices(organization: Organization) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in FeedbackItem.Kind.choices]


def segment_choices(organization: Organization) -> list[tuple[str, str]]:
    """The segments the organisation's customers are in."""
    segments = (
        Customer.objects.filter(organization=organization)
        .exclude(segment="")
        .values_list("segment", flat=True)
        .distinct()
        .order_by("segment")
    )
    return [(segment, segment) for segment in segments]


def notify_received(*, item: FeedbackItem, actor: User | None) -> None:
    """Tell whom the rules name of a new item: by reference, kind and channel, never what the sender typed."""
    notify(
        organization=item.organization,
        kind="feedback.received",
        record=item,
        title=_("New feedback %(reference)s: %(kind)s, by %(channel)s")
        % {"reference": item.reference, "kind": item.get_kind_display(), "channel": item.get_channel_display()},
        url=item.get_absolute_url(),
        facts={
            "channel": item.channel,
            "kind": item.kind,
            "segment": item.customer.segment if item.customer else "",
        },
        actor=actor,
    )


def notify_assigned(*, item: FeedbackItem, actor: User | None) -> None:
    """Tell the new assignee, unless they assigned it to themselves (notify leaves the actor out); with no actor the
    item was given to them by a rule (a survey's follow-up)."""
    if item.assignee is None:
        return
    names = {"reference": item.reference, "kind": item.get_kind_display()}
    notify(
        organization=item.organization,
        kind="feedback.assigned",
        record=item,
        title=(
            _("%(reference)s (%(kind)s) was assigned to you by %(actor)s")
            % {**names, "actor": actor.get_full_name() or actor.email}
            if actor is not None
            else _("%(reference)s (%(kind)s) was assigned to you") % names
        ),
        url=item.get_absolute_url(),
        recipients=[item.assignee],
        actor=actor,
    )
