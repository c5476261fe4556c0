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
    "import.complete": AuditPhrase(_("Import written"), _("wrote {record}")),
    "import.cancel": AuditPhrase(_("Import cancelled"), _("cancelled {record}")),
}
