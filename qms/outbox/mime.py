"""An outbox message as the bytes an SMTP server receives, written directly.

Python's email package builds and then flattens a tree of objects for every message, folding every header through
its policy: for a wave's invitations that cost more than the SMTP conversation itself. These bytes are what Django's
EmailMultiAlternatives makes of the same message (tests/outbox/test_mime.py parses both back and compares them):
the same headers, `multipart/alternative` with a UTF-8 text part and, when there is one, an HTML part, each 8bit (or
quoted-printable when a line is longer than SMTP allows), CRLF line ends. Only what varies is encoded per message;
a header that is not plain ASCII (a subject or a sender's name with accents) goes through the email package, once
per distinct value.
"""

from __future__ import annotations

import binascii
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate, getaddresses
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import BadHeaderError
from django.core.mail.message import sanitize_address

if TYPE_CHECKING:
    from .models import OutboxMessage

LONGEST_LINE = 998  # RFC 5322: a line longer than this goes quoted-printable
ADDRESS_HEADERS = {"from", "to", "cc", "reply-to", "sender"}
# An envelope address that sanitize_address would give back as it is: ASCII, no display name, nothing to quote.
BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


@dataclass(frozen=True)
class Envelope:
    """What the SMTP conversation needs: MAIL FROM, RCPT TO and the DATA."""

    sender: str
    recipients: list[str]
    data: bytes


def envelope_of(message: OutboxMessage) -> Envelope:
    """The message as Django's SMTP backend would send it (its envelope sender DEFAULT_FROM_EMAIL, its recipient the
    message's address), its bytes written directly."""
    encoding = settings.DEFAULT_CHARSET
    sender = _address(settings.DEFAULT_FROM_EMAIL, encoding)
    recipient = _address(message.to_email, encoding)
    extra = {**message.headers, "Message-ID": message.message_id}
    names = {name.lower() for name in extra}
    headers = [("Subject", message.subject)]
    if "from" not in names:
        headers.append(("From", settings.DEFAULT_FROM_EMAIL))
    if "to" not in names:
        headers.append(("To", message.to_email))
    if "date" not in names:
        headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    headers += [(name, str(value)) for name, value in extra.items()]
    head = b"".join(_header(name, value) for name, value in headers)
    text = _part("plain", message.body_text)
    if not message.body_html:
        return Envelope(sender, [recipient], text[0] + b"MIME-Version: 1.0\r\n" + head + b"\r\n" + text[1])
    boundary = b"=_" + secrets.token_hex(16).encode()  # "=_" never occurs in 8bit text that fits, nor in QP
    html = _part("html", message.body_html)
    data = b"".join([
        b'Content-Type: multipart/alternative;\r\n boundary="', boundary, b'"\r\nMIME-Version: 1.0\r\n', head,
        b"\r\n--", boundary, b"\r\n", text[0], b"\r\n", text[1],
        b"\r\n--", boundary, b"\r\n", html[0], b"\r\n", html[1],
        b"\r\n--", boundary, b"--\r\n",
    ])  # fmt: skip
    if data.count(b"--" + boundary) != 3:  # a body that happens to hold the boundary: very unlikely, never wrong
        return envelope_of(message)
    return Envelope(sender, [recipient], data)


def _part(subtype: str, body: str) -> tuple[bytes, bytes]:
    """A text part's headers and its body: 8bit, or quoted-printable when a line is too long for SMTP."""
    raw = "\r\n".join(body.splitlines()).encode()
    if body.endswith(("\n", "\r")):
        raw += b"\r\n"
    if any(len(line) > LONGEST_LINE for line in raw.split(b"\r\n")):
        encoding = b"quoted-printable"
        raw = binascii.b2a_qp(raw, istext=True).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # soft breaks too
    else:
        encoding = b"8bit"
    head = b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: %s\r\n' % (subtype.encode(), encoding)
    return head, raw


def _header(name: str, value: str) -> bytes:
    if "\n" in value or "\r" in value:
        raise BadHeaderError(f"Header values can't contain newlines (got {value!r} for header {name!r})")
    if value.isascii() and len(name) + len(value) + 2 <= LONGEST_LINE and name.lower() != "subject":
        return f"{name}: {value}\r\n".encode()
    return _encoded_header(name, value)


@lru_cache(maxsize=512)
def _encoded_header(name: str, value: str) -> bytes:
    """A header that is not plain ASCII (or too long for a line) encoded and folded as Django does it: once per
    distinct value (a wave's subject and sender are the same for thousands of messages)."""
    if name.lower() in ADDRESS_HEADERS:
        value = ", ".join(sanitize_address(address, settings.DEFAULT_CHARSET) for address in getaddresses([value]))
        if value.isascii() and len(name) + len(value) + 2 <= LONGEST_LINE:
            return f"{name}: {value}\r\n".encode()
    charset = None if value.isascii() else "utf-8"  # Django folds a plain subject as ASCII, encodes the rest
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode()


def _address(address: str, encoding: str) -> str:
    return address if BARE_ADDRESS.fullmatch(address) else _sanitized(address, encoding)


@lru_cache(maxsize=4096)
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)
