"""How the surveys module's audit events read on a timeline (qms.audit.phrases): "Marcus Reid sent it to 240
contacts"."""

from django.utils.translation import gettext_lazy as _

from qms.audit.phrases import AuditPhrase

AUDIT_ACTIONS = {
    "survey.create": AuditPhrase(_("Survey created"), _("created {record}")),
    "survey.update": AuditPhrase(_("Survey edited"), _("edited {record}")),
    "survey.questions": AuditPhrase(_("Questions changed"), _("changed the questions of {record}")),
    "survey.translation": AuditPhrase(_("Translation changed"), _("changed a translation of {record}")),
    "survey.new_version": AuditPhrase(_("New version"), _("started version {number} of {record}")),
    "survey.send": AuditPhrase(_("Sent"), _("sent {record} to {invited} contacts")),
    "survey.close": AuditPhrase(_("Closed"), _("closed {record}")),
    "survey.reopen": AuditPhrase(_("Reopened"), _("reopened {record}")),
    "survey.save_template": AuditPhrase(_("Saved as a template"), _("saved {record} as a template")),
    "survey.public_link": AuditPhrase(_("Public link changed"), _("changed the public link of {record}")),
    "survey.archive": AuditPhrase(_("Archived"), _("archived {record}")),
    "invitation.revoke": AuditPhrase(_("Invitations revoked"), _("revoked {revoked} invitations of {record}")),
    "loop_rule.create": AuditPhrase(_("Follow-up rule added"), _("added the follow-up rule {record}")),
    "loop_rule.update": AuditPhrase(_("Follow-up rule changed"), _("changed the follow-up rule {record}")),
    "loop_rule.delete": AuditPhrase(_("Follow-up rule deleted"), _("deleted the follow-up rule {record}")),
    "campaign.create": AuditPhrase(_("Campaign created"), _("created the campaign {record}")),
    "campaign.update": AuditPhrase(_("Campaign edited"), _("edited the campaign {record}")),
    "campaign.launch": AuditPhrase(_("Campaign launched"), _("launched the campaign {record}")),
    "campaign.pause": AuditPhrase(_("Campaign paused"), _("paused the campaign {record}")),
    "campaign.resume": AuditPhrase(_("Campaign resumed"), _("resumed the campaign {record}")),
    "campaign.cancel": AuditPhrase(_("Campaign cancelled"), _("cancelled the campaign {record}")),
    "campaign.finish": AuditPhrase(_("Campaign finished"), _("finished the campaign {record}")),
    "campaign.wave": AuditPhrase(_("Campaign wave sent"), _("sent wave {wave} of {record} to {invited} contacts")),
    "campaign.check_ins": AuditPhrase(
        _("Check-ins assigned"), _("gave {assigned} customer conversations of wave {wave} of {record} to hold")
    ),
    "check_in.record": AuditPhrase(_("Check-in recorded"), _("recorded the {record}")),
    "campaign.test_send": AuditPhrase(_("Test email sent"), _("sent a test email of {record}")),
    "outreach_rule.create": AuditPhrase(_("Contact rule set"), _("set the contact rule")),
    "outreach_rule.update": AuditPhrase(_("Contact rule changed"), _("changed the contact rule")),
    "response.erase_personal_data": AuditPhrase(_("Personal data erased"), _("erased the personal data in {record}")),
}
