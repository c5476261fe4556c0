"""Deferred emails: a message written with a renderer's key and a context, rendered by the worker that sends it.

A module declares its renderers (`ModuleConfig.email_renderers`: key -> dotted path of a callable
`(message: OutboxMessage) -> RenderedEmail`); `email_enqueue_many` writes thousands of such messages in one
statement, and `outbox_deliver` renders each one, inside its lock, just before it is sent, and keeps what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qms import modules

if TYPE_CHECKING:
    from .models import OutboxMessage


@dataclass(frozen=True)
class RenderedEmail:
    """What a renderer makes of a deferred message: its subject, plain text, HTML and extra headers."""

    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class UnknownRenderer(LookupError):
    pass


def render_deferred(message: OutboxMessage) -> None:
    """Fill a deferred message's subject, bodies and headers from its renderer (not saved here)."""
    renderer = modules.email_renderers().get(message.renderer)
    if renderer is None:
        raise UnknownRenderer(f"no installed module declares the email renderer {message.renderer!r}")
    rendered = renderer(message)
    message.subject = " ".join(rendered.subject.split())[:300]
    message.body_text = rendered.text
    message.body_html = rendered.html
    message.headers = {**message.headers, **rendered.headers}


def needs_rendering(message: OutboxMessage) -> bool:
    """A deferred message not rendered yet (a message rendered on an earlier attempt is sent as it was)."""
    return bool(message.renderer) and not message.subject and not message.body_text
