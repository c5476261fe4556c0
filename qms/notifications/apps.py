from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qms import modules, permissions
from qms.audit.phrases import AuditPhrase


class NotificationsConfig(modules.ModuleConfig):
    """Notifications: a module of the floor (it names no domain app), so it plugs in like one."""

    name = "qms.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    urls = "qms.notifications.urls"
    demo_seeder = "qms.notifications.demo.seed_notifications"
    audit_actions = {
        "notification_rule.create": AuditPhrase(
            _("Notification rule added"), _("added the notification rule {record}")
        ),
        "notification_rule.update": AuditPhrase(
            _("Notification rule changed"), _("changed the notification rule {record}")
        ),
        "notification_rule.delete": AuditPhrase(
            _("Notification rule deleted"), _("deleted the notification rule {record}")
        ),
        "notification_preference.update": AuditPhrase(_("Notification settings changed"), _("changed {record}")),
    }
    # Auditors are never notified (they read; nothing is theirs to act on), so none of this is theirs either.
    permissions = {
        "notifications.view": permissions.WRITERS,
        "notifications.read": permissions.WRITERS,
        "notifications.preferences": permissions.WRITERS,
        "notifications.rules": permissions.MANAGERS,
    }
    sweep_cases = ("tests.notifications.sweep_cases",)

    def periodic_tasks(self) -> dict[str, dict]:
        return {
            "notification-digest": {
                "task": "notifications.digest",
                "schedule": settings.NOTIFICATION_DIGEST_CHECK_SECONDS,
            }
        }
