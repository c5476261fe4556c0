from typing import cast

from django.utils.translation import gettext_lazy as _

from feedback.phrases import AUDIT_ACTIONS
from qms import modules, permissions


class FeedbackConfig(modules.ModuleConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    urls = "feedback.urls"
    navigation = (
        # NavEntry's label is typed str; the lazy string is read when the navigation is drawn.
        modules.NavEntry(cast(str, _("Feedback inbox")), "feedback:inbox", order=20, group="listen", icon="inbox"),
        # the 9.1.2 register of how customers' perception is monitored: evidence, so it sits under "Prove"
        modules.NavEntry(
            cast(str, _("Monitoring methods")),
            "feedback:method_list",
            order=20,
            group="prove",
            icon="clipboard-document-check",
        ),
    )
    demo_seeder = "feedback.demo.seed_feedback"
    privacy_handlers = ("feedback.privacy.feedback_privacy",)
    dashboard_cards = "feedback.selectors.overview.dashboard_cards"
    dashboard_attention = "feedback.selectors.overview.dashboard_attention"
    customer_panels = ("feedback.selectors.overview.customer_feedback_panel",)
    contact_panels = ("feedback.selectors.overview.contact_feedback_panel",)
    notification_kinds = (
        modules.NotificationKind(
            "feedback.received",
            _("New feedback"),
            _("Feedback arrived from the form, the API or an import."),
            facts=(
                modules.NotificationFact("channel", _("Channel"), "feedback.notifications.channel_choices"),
                modules.NotificationFact("kind", _("Kind"), "feedback.notifications.kind_choices"),
                modules.NotificationFact("segment", _("Customer segment"), "feedback.notifications.segment_choices"),
            ),
        ),
        modules.NotificationKind(
            "feedback.assigned",
            _("Feedback assigned to me"),
            _("Someone assigned a feedback item to you."),
            routed=False,
        ),
    )
    audit_actions = AUDIT_ACTIONS
    permissions = {
        "feedback.view": permissions.EVERYONE,
        "feedback.record": permissions.WRITERS,
        "feedback.triage": permissions.WRITERS,  # staff: only the items assigned to them (selectors.inbox.can_triage)
        "feedback.saved_views": permissions.WRITERS,
        "methods.view": permissions.EVERYONE,
        "methods.manage": permissions.MANAGERS,
    }
    sweep_cases = ("tests.feedback.sweep_cases", "tests.feedback.sweep_cases_api")
