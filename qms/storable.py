"""Text a database cannot store: NUL characters (PostgreSQL's text type has no room for them) and lone surrogates
(halves of a UTF-16 pair, which are not Unicode text and cannot be encoded as UTF-8). Input that can carry them (a
CSV file, a JSON body) is checked where it arrives, so that it is refused with a message, not at the write."""

import re

from django.utils.translation import gettext as _

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_reason(value: str) -> str | None:
    """Why this text cannot be stored, for the person who sent it; None when it can."""
    found = UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return _("Holds a NUL character (U+0000), which cannot be stored: remove it.")
    return _("Holds a lone surrogate (U+%(code)s), which is not text: remove it.") % {
        "code": f"{ord(found.group()):04X}"
    }
