"""The mail events webhook's three formats, each proved and read into MailEvents (docs/mail-events.md).

- our own: `{"events": [...]}` signed with the organisation's secret, HMAC-SHA256 over `timestamp + "." + body`,
  in the headers Closeloop-Timestamp and Closeloop-Signature (`v1=<hex>`);
- Mailgun's event webhook, `?secret=<the organisation's secret>` in the URL and Mailgun's own signature
  (HMAC-SHA256 of timestamp + token with the signing key the owner pasted) in the body;
- Amazon SES notifications through SNS, `?secret=` in the URL (SNS cannot sign with our secret) and SNS's
  signature (customers/sns.py).

A request is read as the organisation of its URL only, and its secret is compared with that organisation's in
constant time; an unknown organisation is refused exactly like a wrong secret.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.dateparse import parse_datetime

from customers import sns
from customers.models import MailEventsEndpoint
from customers.services.mail_events import BOUNCE, COMPLAINT, DELIVERED, HARD, SOFT, MailEvent, unseal

MAX_AGE_SECONDS = 5 * 60  # our signature's and Mailgun's: an older timestamp is a replay
SNS_MAX_AGE_SECONDS = 60 * 60  # SNS retries a failed delivery for a while with the message's first timestamp
MAX_EVENTS = 1000
SIGNATURE_HEADER, TIMESTAMP_HEADER = "Closeloop-Signature", "Closeloop-Timestamp"
GENERIC, MAILGUN, SES = "closeloop", "mailgun", "ses"
# A constant to compare against when the organisation is unknown, so that answer takes as long as a wrong secret.
_NO_SECRET = "whsec_" + "0" * 43


class Refused(Exception):
    """Not proved to come from this organisation's provider (403); the message says what, never which part."""


class Malformed(Exception):
    """A body that is not what its format says (400), with a message for the sender."""


@dataclass
class Received:
    source: str
    events: list[MailEvent] = field(default_factory=list)
    subscription: dict[str, Any] | None = None  # an SNS SubscriptionConfirmation to follow


def read(request: HttpRequest, body: bytes, endpoint: MailEventsEndpoint | None) -> Received:
    """The request's events, once it proved it comes from the endpoint's organisation; Refused or Malformed."""
    if SIGNATURE_HEADER.lower() in {name.lower() for name in request.headers}:
        return _generic(request, body, endpoint)
    _check_secret(request.GET.get("secret", ""), endpoint)
    assert endpoint is not None  # _check_secret refuses without one
    if request.headers.get("x-amz-sns-message-type"):
        return _ses(_json(body), endpoint)
    return _mailgun(_json(body), endpoint)


def _secret(endpoint: MailEventsEndpoint | None) -> str:
    return (unseal(endpoint.organization_id, endpoint.secret_sealed) if endpoint else "") or _NO_SECRET


def _check_secret(given: str, endpoint: MailEventsEndpoint | None) -> None:
    secret = _secret(endpoint)
    if not (hmac.compare_digest(given.encode(), secret.encode()) and endpoint is not None and secret != _NO_SECRET):
        raise Refused("The secret does not match.")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise Malformed("The body is not JSON.") from None


def _fresh(timestamp: str, max_age: int) -> None:
    try:
        age = time.time() - float(timestamp)
    except ValueError:
        raise Refused("The timestamp is not a number of seconds.") from None
    if not -max_age <= age <= max_age:  # also one from the future: a sender's clock off by more is refused
        raise Refused("The timestamp is more than 5 minutes away from now: a replayed request is refused.")


# --- our own format --------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The Closeloop-Signature header's value for a body sent at `timestamp` (seconds since the epoch)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def _generic(request: HttpRequest, body: bytes, endpoint: MailEventsEndpoint | None) -> Received:
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    given = request.headers.get(SIGNATURE_HEADER, "")
    expected = sign(_secret(endpoint), timestamp, body)
    if not (hmac.compare_digest(given.encode(), expected.encode()) and endpoint is not None):
        raise Refused("The signature does not match.")
    _fresh(timestamp, MAX_AGE_SECONDS)
    data = _json(body)
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise Malformed('The body must be an object with a list "events".')
    return Received(GENERIC, [_generic_event(n, item) for n, item in enumerate(_bounded(items))])


def _generic_event(n: int, item: Any) -> MailEvent:
    if not isinstance(item, dict):
        raise Malformed(f"events[{n}] is not an object.")
    kind, bounce = item.get("type"), item.get("bounce", "")
    if kind not in (BOUNCE, COMPLAINT, DELIVERED):
        raise Malformed(f'events[{n}].type must be "bounce", "complaint" or "delivered".')
    if kind == BOUNCE and bounce not in (HARD, SOFT):
        raise Malformed(f'events[{n}].bounce must be "hard" or "soft".')
    texts = {name: item.get(name, "") for name in ("email", "message_id", "reason", "at")}
    for name, value in texts.items():
        if not isinstance(value, str):
            raise Malformed(f"events[{n}].{name} must be a string.")
    if not (texts["email"] or texts["message_id"]):
        raise Malformed(f"events[{n}] needs an email or a message_id.")
    at = parse_datetime(texts["at"]) if texts["at"] else None
    if texts["at"] and at is None:
        raise Malformed(f"events[{n}].at must be an ISO 8601 date and time.")
    return MailEvent(
        type=kind,
        bounce=bounce if kind == BOUNCE else "",
        email=texts["email"],
        message_id=texts["message_id"],
        reason=texts["reason"],
        at=at,
    )


def _bounded(items: list) -> list:
    if len(items) > MAX_EVENTS:
        raise Malformed(f"At most {MAX_EVENTS} events in one request.")
    return items


# --- Mailgun -------------------------------------------------------------------------------------------------


def mailgun_signature(key: str, timestamp: str, token: str) -> str:
    return hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def _mailgun(data: Any, endpoint: MailEventsEndpoint) -> Received:
    signed = data.get("signature") if isinstance(data, dict) else None
    event_data = data.get("event-data") if isinstance(data, dict) else None
    if not isinstance(signed, dict) or not isinstance(event_data, dict):
        raise Malformed('A Mailgun event has "signature" and "event-data" objects.')
    timestamp, token, given = (str(signed.get(name, "")) for name in ("timestamp", "token", "signature"))
    key = unseal(endpoint.organization_id, endpoint.mailgun_key_sealed)
    if not key:
        raise Refused("No Mailgun signing key is set for this organisation.")
    if not hmac.compare_digest(given.encode(), mailgun_signature(key, timestamp, token).encode()):
        raise Refused("The Mailgun signature does not match.")
    _fresh(timestamp, MAX_AGE_SECONDS)
    event = _mailgun_event(event_data)
    return Received(MAILGUN, [event] if event else [])


def _mailgun_event(data: dict[str, Any]) -> MailEvent | None:
    name, severity = data.get("event"), data.get("severity")
    if name == "failed" and severity in ("permanent", "temporary"):
        kind, bounce = BOUNCE, HARD if severity == "permanent" else SOFT
    elif name in ("complained", "delivered"):
        kind, bounce = COMPLAINT if name == "complained" else DELIVERED, ""
    else:
        return None  # opened, clicked, accepted …: nothing the directory keeps
    recipient = data.get("recipient")
    if not isinstance(recipient, str) or not recipient:
        raise Malformed('A Mailgun event has its "recipient".')
    status = _object(data.get("delivery-status"))
    reason = _first_text(status.get("description"), status.get("message"), data.get("reason"))
    message_id = _first_text(_object(_object(data.get("message")).get("headers")).get("message-id"))
    stamp = data.get("timestamp")
    at = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int | float) and 0 < stamp < 2**33 else None
    return MailEvent(kind, recipient, bounce, message_id, reason, at)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_text(*values: Any) -> str:
    return next((value for value in values if isinstance(value, str) and value.strip()), "")


# --- Amazon SES through SNS ---------------------------------------------------------------------------------


def _ses(message: Any, endpoint: MailEventsEndpoint) -> Received:
    if not isinstance(message, dict) or not isinstance(message.get("Type"), str):
        raise Malformed('An SNS message is an object with its "Type".')
    try:
        sns.verify(message)
    except sns.NotGenuine as exc:
        raise Refused(f"The SNS message is not proved genuine: {exc}.") from None
    stamp = parse_datetime(str(message.get("Timestamp", "")))
    if stamp is None:
        raise Malformed("The SNS message has no Timestamp.")
    _fresh(str(stamp.timestamp()), SNS_MAX_AGE_SECONDS)
    if message["Type"] == "SubscriptionConfirmation":
        return Received(SES, subscription=message)
    if message["Type"] != "Notification":
        return Received(SES)
    return Received(SES, _ses_events(_json(str(message.get("Message", "")).encode())))


def _ses_events(notification: Any) -> list[MailEvent]:
    if not isinstance(notification, dict):
        raise Malformed("The SNS message's Message is not an SES notification.")
    kind = notification.get("notificationType") or notification.get("eventType")
    message_id = _first_text(_object(_object(notification.get("mail")).get("commonHeaders")).get("messageId"))
    readers: dict[str, Callable[[dict], list[MailEvent]]] = {
        "Bounce": lambda n: _ses_recipients(n, "bounce", "bouncedRecipients", message_id),
        "Complaint": lambda n: _ses_recipients(n, "complaint", "complainedRecipients", message_id),
        "Delivery": lambda n: _ses_recipients(n, "delivery", "recipients", message_id),
    }
    reader = readers.get(kind) if isinstance(kind, str) else None
    return reader(notification) if reader else []


def _ses_recipients(notification: dict, part: str, list_name: str, message_id: str) -> list[MailEvent]:
    detail = _object(notification.get(part))
    recipients = detail.get(list_name)
    if not isinstance(recipients, list):
        raise Malformed(f"The SES notification has no {part}.{list_name}.")
    events = []
    for recipient in _bounded(recipients):
        email = recipient if isinstance(recipient, str) else _object(recipient).get("emailAddress")
        if not isinstance(email, str):
            raise Malformed(f"A recipient of {part}.{list_name} has no address.")
        if part == "bounce":
            hard = detail.get("bounceType") == "Permanent"
            reason = _first_text(_object(recipient).get("diagnosticCode"))
            reason = reason or f"{detail.get('bounceType', '')} {detail.get('bounceSubType', '')}".strip()
            events.append(MailEvent(BOUNCE, email, HARD if hard else SOFT, message_id, reason))
        elif part == "complaint":
            reason = _first_text(detail.get("complaintFeedbackType"))
            events.append(MailEvent(COMPLAINT, email, "", message_id, reason))
        else:
            events.append(MailEvent(DELIVERED, email, "", message_id))
    return events
