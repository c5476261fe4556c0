"""How a timeline tells an audit event, in words: "Marcus Reid assigned it to Sofia Lind", then what else changed,
one sentence each ("Date received set to 27 Nov 2026").

A module declares, in its AppConfig's `audit_actions`, either a label ("Closed") or an AuditPhrase with a sentence.
The floor's own actions (members, invitations, tokens, the organisation) are phrased here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from qms.modules import installed_modules

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class AuditPhrase:
    """One audit action in words.

    `label` names it where a word is enough (the audit log's filter, a list). `sentence` tells it after the actor's
    name: `{record}` is "it" on the record's own timeline and the record's name elsewhere (the dashboard); any other
    `{field}` is that field's new value in words, and that field is then not told again below the sentence.
    `cleared` is told instead when the field named in the sentence was emptied ("unassigned {record}"). `quiet`
    names fields the sentence makes plain and that are not worth a line of their own (a closing time: the event's
    own time says it)."""

    label: StrOrPromise
    sentence: StrOrPromise = ""
    cleared: StrOrPromise = ""
    quiet: tuple[str, ...] = ()

    def __str__(self) -> str:
        return str(self.label)


FLOOR_PHRASES = {
    "organization.create": AuditPhrase(_("Organisation created"), _("created {record}")),
    "organization.update": AuditPhrase(_("Settings changed"), _("changed the settings of {record}")),
    "membership.add": AuditPhrase(_("Member added"), _("added {record}")),
    "membership.change_role": AuditPhrase(_("Role changed"), _("changed the role of {record}")),
    "membership.remove": AuditPhrase(_("Member removed"), _("removed {record}")),
    "invitation.create": AuditPhrase(_("Invited"), _("sent {record}")),
    "invitation.accept": AuditPhrase(_("Invitation accepted"), _("accepted {record}")),
    "invitation.revoke": AuditPhrase(_("Invitation revoked"), _("revoked {record}")),
    "api_token.create": AuditPhrase(_("API token created"), _("created the API token {record}")),
    "api_token.revoke": AuditPhrase(_("API token revoked"), _("revoked the API token {record}")),
    "delivery.rate": AuditPhrase(_("Sending rate changed"), _("changed the email sending rate")),
}


def audit_phrase(action: str) -> AuditPhrase:
    """The words for an action: its module's, else the floor's, else the action's own name made readable."""
    for module in installed_modules():
        if action in module.audit_actions:
            declared = module.audit_actions[action]
            return declared if isinstance(declared, AuditPhrase) else AuditPhrase(str(declared))
    if action in FLOOR_PHRASES:
        return FLOOR_PHRASES[action]
    return AuditPhrase(action.rpartition(".")[2].replace("_", " ").capitalize())
