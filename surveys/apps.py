from typing import cast

from django.utils.translation import gettext_lazy as _

from qms import modules, permissions
from surveys.phrases import AUDIT_ACTIONS


class SurveysConfig(modules.ModuleConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    urls = "surveys.urls"
    navigation = (
        modules.NavEntry(
            cast(str, _("Surveys")), "surveys:survey_list", order=10, group="ask", icon="chat-bubble-left-right"
        ),
    )
    audit_actions = AUDIT_ACTIONS
    permissions = {
        "surveys.view": permissions.EVERYONE,  # staff and auditors read surveys and their responses
        "surveys.manage": permissions.MANAGERS,  # design, translate, close
        "surveys.send": permissions.MANAGERS,
    }
    sweep_cases = ("tests.surveys.sweep_cases",)
