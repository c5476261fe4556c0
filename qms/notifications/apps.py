from django.conf import settings

from qms import modules, permissions


class NotificationsConfig(modules.ModuleConfig):
    """Notifications: a module of the floor (it names no domain app), so it plugs in like one."""

    name = "qms.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    urls = "qms.notifications.urls"
    demo_seeder = "qms.notifications.demo.seed_notifications"
    audit_actions = {
        "notification_rule.create": "Notification rule added",
        "notification_rule.update": "Notification rule changed",
        "notification_rule.delete": "Notification rule deleted",
        "notification_preference.update": "Notification settings changed",
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
