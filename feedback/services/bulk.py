"""Bulk triage of the inbox: assign, tag or close many items at once, each through the single-item service.

Each item is checked on its own (who may triage it, what its workflow allows now) and written by the same service
as a single triage, in its own savepoint, so every item gets the same audit event as if it had been triaged alone.
An item that is refused is skipped and reported with the reason; the others are written.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from feedback.models import FeedbackItem, Theme
from feedback.selectors.inbox import can_triage
from feedback.services.inbox import feedback_assign, feedback_close, feedback_set_themes
from qms.accounts.models import User
from qms.tenancy.models import Membership

MAX_BULK_ITEMS = 200
ALREADY_CLOSED = _("already closed")
NOT_YOURS = _("not assigned to you")


@dataclass
class BulkResult:
    """What a bulk action did: the items written, and how many were skipped for each reason."""

    done: list[FeedbackItem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def message(self, done: str) -> str:
        """'3 items assigned to Sofia Lind; 1 skipped: already closed' (done: what happened to the written items,
        counted by the caller in one sentence, "3 items assigned to Sofia Lind")."""
        skipped = self.skipped.most_common()
        parts = [done, *(_("%(n)d skipped: %(reason)s") % {"n": n, "reason": reason} for reason, n in skipped)]
        return "; ".join(parts) + "."


def _each(
    items: Iterable[FeedbackItem],
    *,
    membership: Membership,
    write: Callable[[FeedbackItem], object],
    transition: str = "",
) -> BulkResult:
    result = BulkResult()
    for item in items:
        if item.status == FeedbackItem.Status.CLOSED:
            result.skipped[str(ALREADY_CLOSED)] += 1
        elif not can_triage(membership, item):
            result.skipped[str(NOT_YOURS)] += 1
        elif transition and (reason := FeedbackItem.workflow.refusal(item, transition)):
            result.skipped[reason.rstrip(".")] += 1
        else:
            try:
                write(item)
            except ValidationError as exc:
                result.skipped[" ".join(exc.messages).rstrip(".")] += 1
            else:
                result.done.append(item)
    return result


def feedback_bulk_assign(
    *, items: Iterable[FeedbackItem], membership: Membership, actor: User, assignee: User | None
) -> BulkResult:
    """Assign every item to this member (or to nobody), as feedback_assign does for one."""
    return _each(
        items,
        membership=membership,
        write=lambda item: feedback_assign(feedback=item, actor=actor, assignee=assignee),
    )


def feedback_bulk_tag(
    *, items: Iterable[FeedbackItem], membership: Membership, actor: User, theme: Theme | None, new_name: str = ""
) -> BulkResult:
    """Add one theme (an existing one, or a new one by name) to every item, keeping the themes it already has."""

    def tag(item: FeedbackItem) -> None:
        kept = [*item.themes.all(), *([theme] if theme else [])]
        feedback_set_themes(feedback=item, actor=actor, themes=kept, new_names=[new_name] if new_name else [])

    return _each(items, membership=membership, write=tag)


def feedback_bulk_close(*, items: Iterable[FeedbackItem], membership: Membership, actor: User, note: str) -> BulkResult:
    """Close every item with the same note, as feedback_close does for one (which needs the note)."""
    if not note.strip():
        raise ValidationError({"note": _("Say how the feedback was handled before closing it.")})
    return _each(
        items,
        membership=membership,
        write=lambda item: feedback_close(feedback=item, actor=actor, note=note),
        transition="close",
    )
