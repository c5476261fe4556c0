"""How the feedback module's audit events read on a timeline (qms.audit.phrases): "Marcus Reid assigned it to
Sofia Lind"."""

from django.utils.translation import gettext_lazy as _

from qms.audit.phrases import AuditPhrase

AUDIT_ACTIONS = {
    "feedback.create": AuditPhrase(_("Recorded"), _("recorded {record}")),
    "feedback.update": AuditPhrase(_("Edited"), _("edited {record}")),
    "feedback.assign": AuditPhrase(_("Assigned"), _("assigned {record} to {assignee}"), _("unassigned {record}")),
    "feedback.themes": AuditPhrase(
        _("Themes changed"), _("tagged {record} with {themes}"), _("removed the themes of {record}")
    ),
    "feedback.sentiment": AuditPhrase(
        _("Sentiment marked"), _("marked {record} as {sentiment}"), _("removed the sentiment of {record}")
    ),
    "feedback.link": AuditPhrase(_("Linked"), _("linked {record} to {link}")),
    "feedback.convert": AuditPhrase(_("Converted"), _("converted {record} into {converted_to}"), quiet=("closed_at",)),
    "feedback.close": AuditPhrase(_("Closed"), _("closed {record}"), quiet=("closed_at",)),
    "feedback.reopen": AuditPhrase(_("Reopened"), _("reopened {record}"), quiet=("closed_at",)),
    "feedback.attachment_add": AuditPhrase(_("File attached"), _("attached {attachment} to {record}")),
    "feedback.contact_consent": AuditPhrase(
        _("Consent to be contacted given"), _("recorded that the customer may be contacted about {record}")
    ),
    "feedback.erase_personal_data": AuditPhrase(_("Personal data erased"), _("erased the personal data in {record}")),
    "monitoring_method.create": AuditPhrase(_("Monitoring method added"), _("added {record}")),
    "monitoring_method.update": AuditPhrase(_("Monitoring method edited"), _("edited {record}")),
    "monitoring_method.review": AuditPhrase(_("Monitoring method reviewed"), _("reviewed {record}")),
    "monitoring_method.retire": AuditPhrase(_("Monitoring method retired"), _("retired {record}")),
    "saved_view.create": AuditPhrase(_("View saved"), _("saved the view {record}")),
    "saved_view.delete": AuditPhrase(_("View deleted"), _("deleted the view {record}")),
    "theme.create": AuditPhrase(_("Theme added"), _("added the theme {record}")),
}
