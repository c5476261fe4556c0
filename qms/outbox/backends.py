import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class MailboxBackend(BaseEmailBackend):
    """The local default: each message becomes one .eml file, listed by the app under DEBUG at /dev/mailbox/."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.EMAIL_MAILBOX_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
            # Django 5.2's message() is its SafeMIME* class, whose as_bytes() takes linesep; the stubs describe 6.0's.
            (folder / name).write_bytes(message.message().as_bytes(linesep="\n"))  # type: ignore[call-arg]  # see above
        return len(email_messages)
