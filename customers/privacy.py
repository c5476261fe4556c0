"""The privacy registry: what each app holds about a contact, and how it erases it.

A contact's export (right of access) and erasure (right to erasure) are the directory's, but the data is spread
over every module: feedback they sent, survey answers, complaints. Each app declares handlers in its AppConfig
(`privacy_handlers`, qms/modules.py); `contact_personal_data` and `contact_erase` loop over them, so a new module
adds what it holds without the directory knowing it exists.

A handler is any object with:
- `export(*, organization, contact) -> HeldData`: JSON-ready sections of the export, and consent it recorded;
- `erasure_summary(*, organization, contact) -> str`: what erasure will remove, for the confirmation page;
- `erase(*, organization, contact, identifiers, actor) -> Erased`: erase it (inside the caller's transaction),
  auditing each changed record without its values, and say which audit-sealing subjects and email addresses
  belong to the person.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from customers.models import Contact
from qms.accounts.models import User
from qms.modules import privacy_handlers
from qms.tenancy.models import Organization

ERASED = "[erased]"
MIN_IDENTIFIER = 2  # a one-letter "name" would erase every word that is that letter


@dataclass
class HeldData:
    sections: dict[str, Any] = field(default_factory=dict)
    consent_history: list[dict] = field(default_factory=list)


@dataclass
class Erased:
    subjects: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class PrivacyHandler(Protocol):
    def export(self, *, organization: Organization, contact: Contact) -> HeldData: ...

    def erasure_summary(self, *, organization: Organization, contact: Contact) -> str: ...

    def erase(self, *, organization: Organization, contact: Contact, identifiers: list[str], actor: User) -> Erased: ...


def handlers() -> list[PrivacyHandler]:
    return privacy_handlers()


def identifiers_of(*values: str) -> list[str]:
    """The values that identify a person in free text, longest first (so "Ann Lee" goes before "Ann")."""
    kept = {value.strip() for value in values if len(value.strip()) >= MIN_IDENTIFIER}
    return sorted(kept, key=len, reverse=True)


def scrub(text: str, identifiers: list[str]) -> str:
    """Each identifier replaced where it stands as a whole (the name Ann goes, "Annual" stays), any case."""
    for identifier in identifiers:
        text = re.sub(rf"(?<!\w){re.escape(identifier)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
    return text
