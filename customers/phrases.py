"""How the directory's audit events read on a timeline (qms.audit.phrases): "Marcus Reid added customer Acme"."""

from django.utils.translation import gettext_lazy as _

from qms.audit.phrases import AuditPhrase

AUDIT_ACTIONS = {
    "customer.create": AuditPhrase(_("Customer added"), _("added {record}")),
    "customer.update": AuditPhrase(_("Customer edited"), _("edited {record}")),
    "contact.create": AuditPhrase(_("Contact added"), _("added {record}")),
    "contact.update": AuditPhrase(_("Contact edited"), _("edited {record}")),
    "contact.export": AuditPhrase(_("Personal data exported"), _("exported the personal data of {record}")),
    "contact.erase": AuditPhrase(_("Personal data erased"), _("erased the personal data of {record}")),
    "contact.opt_out": AuditPhrase(_("Unsubscribed"), _("unsubscribed {record} from email")),
    "contact.mail_undeliverable": AuditPhrase(
        _("Address undeliverable"), _("marked the address of {record} undeliverable")
    ),
    "contact.mail_soft_bounce": AuditPhrase(_("Soft bounce"), _("counted a soft bounce of {record}")),
    "contact.mail_delivered": AuditPhrase(_("Delivered again"), _("reset the soft bounces of {record}")),
    "contact.deliverable_again": AuditPhrase(_("Address works again"), _("cleared the undeliverable mark of {record}")),
    "mail_events.secret_create": AuditPhrase(_("Webhook secret made"), _("made the mail events webhook's secret")),
    "mail_events.secret_rotate": AuditPhrase(
        _("Webhook secret rotated"), _("rotated the mail events webhook's secret")
    ),
    "mail_events.mailgun_key": AuditPhrase(_("Mailgun key changed"), _("changed the Mailgun signing key")),
    "mail_events.sns_subscribe": AuditPhrase(
        _("SNS subscription confirmed"), _("confirmed an Amazon SNS subscription")
    ),
    "directory_view.create": AuditPhrase(_("Directory view saved"), _("saved the directory view {record}")),
    "directory_view.delete": AuditPhrase(_("Directory view deleted"), _("deleted the directory view {record}")),
    "import.complete": AuditPhrase(_("Import written"), _("wrote {record}")),
    "import.cancel": AuditPhrase(_("Import cancelled"), _("cancelled {record}")),
}
