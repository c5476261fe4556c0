"""Where a feedback item becomes another record: the extension point the complaints module (and later CAPA) plugs into.

A module that can take over a feedback item registers a handler once, from its AppConfig.ready():

    register_conversion("complaint", "Complaint", complaint_from_feedback)

`handler(*, feedback, actor) -> str` runs inside the conversion's transaction and the feedback item's organisation,
creates its record and returns that record's reference. The inbox then marks the item converted to that reference,
closes it, links it to the new record and audits all of it (`feedback.services.inbox.feedback_convert`).
Until a handler is registered the Convert action explains that complaint handling is not there yet.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model
from django.utils.translation import gettext_noop

NOT_AVAILABLE = gettext_noop("Complaint handling arrives with the complaints module.")  # translated where shown


@dataclass(frozen=True)
class Conversion:
    kind: str
    label: str
    handler: Callable[..., Model | str]  # the new record, or its reference (see feedback_convert)


_registry: dict[str, Conversion] = {}


def register_conversion(kind: str, label: str, handler: Callable[..., Model | str]) -> None:
    """Register (or replace) the handler that turns a feedback item into a record of `kind`."""
    _registry[kind] = Conversion(kind=kind, label=label, handler=handler)


def unregister_conversion(kind: str) -> None:
    _registry.pop(kind, None)


def conversions() -> list[Conversion]:
    return sorted(_registry.values(), key=lambda c: c.label)


def get_conversion(kind: str) -> Conversion | None:
    return _registry.get(kind)
