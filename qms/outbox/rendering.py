"""Deferred emails: a message written with a renderer's key and a context, rendered by the worker that sends it.

A module declares its renderers (`ModuleConfig.email_renderers`: key -> dotted path of a callable
`(message: OutboxMessage) -> RenderedEmail`); `email_enqueue_many` writes thousands of such messages in one
statement, and the worker renders each one, inside its lock, just before it is sent, and keeps what was sent. A
worker's batch renders inside `rendering_batch`: a renderer memoises there what its messages share (batch_memo).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from qms import modules

if TYPE_CHECKING:
    from .models import OutboxMessage

T = TypeVar("T")


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


@dataclass
class _Batch:
    messages: Sequence[OutboxMessage]
    memo: dict[Any, Any] = field(default_factory=dict)


_batch: ContextVar[_Batch | None] = ContextVar("outbox_rendering_batch", default=None)


@contextmanager
def rendering_batch(messages: Sequence[OutboxMessage]) -> Iterator[None]:
    """Render `messages` (one worker's batch) with a memo that lives as long as the batch: what a renderer computes
    once for every message of one survey version and language (batch_memo), or once for the whole batch."""
    token = _batch.set(_Batch(messages=messages))
    try:
        yield
    finally:
        _batch.reset(token)


def batch_memo(key: Any, compute: Callable[[], T]) -> T:
    """compute() once per batch for `key` (and every time outside a batch)."""
    batch = _batch.get()
    if batch is None:
        return compute()
    if key not in batch.memo:
        batch.memo[key] = compute()
    return batch.memo[key]


def batch_messages(message: OutboxMessage) -> Sequence[OutboxMessage]:
    """The messages of the batch `message` is rendered in (a renderer reads what they all need in one query), or
    just `message` outside a batch."""
    batch = _batch.get()
    return batch.messages if batch is not None else [message]
