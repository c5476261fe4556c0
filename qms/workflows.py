"""A workflow's states and transitions, declared once on its model; services perform them, pages and the API ask.

    class FeedbackItem(TenantOwned):
        workflow = Workflow("status", [
            Transition("close", sources=(NEW, IN_PROGRESS), target=CLOSED, action="feedback.triage", label="Close"),
            ...
        ])

`workflow.apply(item, "close")` checks the record's state and the transition's guard and returns the change
({"status": "closed"}) for the audited write to save and record (qms/audit/writes.py), or a ValidationError a person
can read. `workflow.available(item, membership)` lists what this member may do to this record now, for the page's
buttons and the API's `transitions`. Oscar's `pipeline` / `available_statuses()` / `set_status()` is the anchor.

Our own class rather than django-fsm-2: an FSM transition method mutates the instance and leaves the save to its
caller or its signals, and its permission checks are Django's model permissions; here a transition is data that
the one audited write saves with every other changed field in one event, and its permission is an action of the
role table (qms/permissions.py), the same for pages and API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

from qms.permissions import may

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    action: str  # what the member performs, in the permission table
    label: StrOrPromise  # the button: "Close"
    done: StrOrPromise  # for messages: "closed"
    guard: Callable[[Any], str | None] | None = None  # the reason it may not happen to this record now, or None
    refused: StrOrPromise = (
        ""  # what to say when the record's state does not allow it (else a sentence from the states)
    )
    automatic: bool = False  # made by the system (a worker, or as a side effect of another write), never offered


class Workflow:
    def __init__(self, field: str, transitions: Iterable[Transition], *, noun: StrOrPromise = "record"):
        self.field, self.noun = field, noun
        self.transitions = {transition.name: transition for transition in transitions}

    def __getitem__(self, name: str) -> Transition:
        try:
            return self.transitions[name]
        except KeyError:
            raise ImproperlyConfigured(f"No transition {name!r} in this workflow") from None

    def refusal(self, record: Any, name: str) -> str | None:
        """Why the transition cannot happen to this record now, or None when it can."""
        transition = self[name]
        state = getattr(record, self.field)
        if state not in transition.sources:
            if transition.refused:
                return str(transition.refused)
            display = getattr(record, f"get_{self.field}_display", lambda: state)()
            words = {"noun": self.noun, "state": str(display).lower(), "done": transition.done}
            if str(self.noun)[0] in "aeiou":
                return _("An %(noun)s that is %(state)s cannot be %(done)s.") % words
            return _("A %(noun)s that is %(state)s cannot be %(done)s.") % words
        return transition.guard(record) if transition.guard else None

    def apply(self, record: Any, name: str) -> dict[str, str]:
        """The change the transition makes, for the audited write; a ValidationError when it may not happen."""
        reason = self.refusal(record, name)
        if reason:
            raise ValidationError(reason)
        return {self.field: self[name].target}

    def available(self, record: Any, membership: Any) -> list[Transition]:
        """The transitions this member may perform on this record now, in declaration order."""
        return [
            transition
            for name, transition in self.transitions.items()
            if not transition.automatic and self.refusal(record, name) is None and may(membership, transition.action)
        ]

    def table(self) -> dict[str, tuple[tuple[str, ...], str]]:
        """name → (sources, target): the workflow at a glance, for documentation and tests."""
        return {name: (t.sources, t.target) for name, t in self.transitions.items()}
