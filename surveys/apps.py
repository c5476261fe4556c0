from typing import cast

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qms import modules, permissions
from surveys.phrases import AUDIT_ACTIONS

# A survey link's organisation, from its token's hash: the crossing of surveys/selectors/links.py, and the same as
# SQL for the statement that reads the organisation's row on PostgreSQL.
LINK_ORGANIZATION_OF = "surveys.selectors.links.link_organization"
LINK_ORGANIZATION_SQL = "app_survey_link_organization(%s)"


class SurveysConfig(modules.ModuleConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    urls = "surveys.urls"
    navigation = (
        modules.NavEntry(
            cast(str, _("Surveys")), "surveys:survey_list", order=10, group="ask", icon="chat-bubble-left-right"
        ),
        modules.NavEntry(cast(str, _("Campaigns")), "surveys:campaign_list", order=11, group="ask", icon="megaphone"),
    )
    demo_seeder = "surveys.demo.seed_surveys"
    privacy_handlers = ("surveys.privacy.survey_privacy",)
    audit_actions = AUDIT_ACTIONS
    permissions = {
        "surveys.view": permissions.EVERYONE,  # staff and auditors read surveys and their responses
        "surveys.manage": permissions.MANAGERS,  # design, translate, close
        "surveys.send": permissions.MANAGERS,
        # record a leadership check-in's conversation: its assignee (often staff: an account owner) or a manager
        "surveys.check_in": permissions.WRITERS,
    }
    sweep_cases = (
        "tests.surveys.sweep_cases",
        "tests.surveys.sweep_cases_sending",
        "tests.surveys.sweep_cases_loop",
        "tests.surveys.sweep_cases_campaigns",
    )
    token_links = (
        modules.TokenLink("r", LINK_ORGANIZATION_OF, LINK_ORGANIZATION_SQL),  # answer a survey
        modules.TokenLink("u", LINK_ORGANIZATION_OF, LINK_ORGANIZATION_SQL),  # unsubscribe from its invitations
    )
    notification_kinds = (
        modules.NotificationKind(
            "surveys.check_in",
            _("Customer conversations to hold"),
            _("A leadership check-in gave you customers to talk with by a due date, or reminds you of them."),
            routed=False,
        ),
    )
    email_renderers = {"survey-invitation": "surveys.emails.render_invitation"}
    database_crossings = (
        "surveys.selectors.links.LINK_ORGANIZATION",
        "surveys.services.integrity.ORGANIZATIONS_WITH_UNSEALED",
        "surveys.services.follow_ups.ORGANIZATIONS_WITH_DUE_FOLLOW_UPS",
        "surveys.services.campaigns.ORGANIZATIONS_WITH_DUE_CAMPAIGN_STEPS",
    )

    def periodic_tasks(self) -> dict[str, dict]:
        return {
            "seal-responses": {"task": "surveys.seal_responses", "schedule": settings.RESPONSE_SEAL_SECONDS},
            "open-follow-ups": {"task": "surveys.open_follow_ups", "schedule": settings.FOLLOW_UP_SECONDS},
            "run-campaigns": {"task": "surveys.run_campaigns", "schedule": settings.CAMPAIGN_SECONDS},
        }
