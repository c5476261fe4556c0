"""Sweep cases for the closed loop: a survey's follow-up rules (page and API) and the responses' API."""

from django.test import Client
from django.urls import reverse

from surveys.models import FollowUp, Invitation, LoopRule, Response
from surveys.services.follow_ups import follow_ups_open
from surveys.services.loop import loop_rule_create
from surveys.services.sending import contacts_for, survey_send
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import build_survey
from tests.sweep.core import GET_POST, POST, Case

READ_AND_PATCH = ("GET", "PATCH")


def populate(tenant, marker):
    """A survey with a rule on its score, answered by a detractor whose follow-up has been opened."""
    organization = tenant.organization
    survey = build_survey(organization, name=f"{marker} followed survey", questions=[
        {"code": "nps", "kind": "nps", "text": f"{marker} score", "required": True},
        {"code": "why", "kind": "long_text", "text": f"{marker} reason"}])  # fmt: skip
    customer = CustomerFactory(organization=organization, name=f"{marker} loop customer", account_owner=tenant.staff)
    contact = ContactFactory(customer=customer, name=f"{marker} detractor", email=f"{marker}-d@example.com")
    with tenant.context():
        rule = loop_rule_create(survey=survey, actor=tenant.manager, question_code="nps", condition="at_most",
                                value="6", assign_to="account_owner")  # fmt: skip
        send = survey_send(survey=survey, actor=tenant.manager,
                           contacts=contacts_for(organization=organization, contact_ids=[contact.pk]))  # fmt: skip
        token = Invitation.objects.select_related("message").get(send=send).message.context["token"]
    Client().post(reverse("links:survey_response", kwargs={"token": token}),
                  {"page": "0", "action": "submit", "q_nps": "2", "q_why": f"{marker} unhappy"})  # fmt: skip
    with tenant.context():
        follow_ups_open(organization=organization)
        response = Response.objects.get(organization=organization, survey=survey)
    return {"loop_survey": survey, "loop_rule": rule, "loop_response": response}


def snapshot(tenant):
    organization = tenant.organization
    return {
        "rules": list(
            LoopRule.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "question_code", "condition", "value", "assignee", "active", "deleted_at")
        ),
        "follow_ups": list(FollowUp.objects.filter(organization=organization).order_by("pk").values_list("pk", "item")),
    }


def _survey(w):
    return {"survey_id": w.extra["loop_survey"].pk}


def _rule(w):
    return {"survey_id": w.extra["loop_survey"].pk, "rule_id": w.extra["loop_rule"].pk}


RULE_FORM = {"question_code": "why", "condition": "contains", "value": "late", "assign_to": "account_owner"}

CASES = {
    "surveys:loop_rules": Case(
        methods=GET_POST, target=_survey, form=lambda w: dict(RULE_FORM), shows=("{marker} detractor",)
    ),  # fmt: skip
    "surveys:loop_rule_active": Case(methods=POST, target=_rule, form=lambda w: {"active": "0"}),
    "surveys:loop_rule_delete": Case(methods=POST, target=_rule),
    "surveys_api:api_survey_responses": Case(target=_survey, shows=("{marker} unhappy",)),
    "surveys_api:api_response": Case(target=lambda w: {"pk": w.extra["loop_response"].pk}, shows=("{marker} unhappy",)),
    "surveys_api:api_loop_rules": Case(target=_survey, form=lambda w: dict(RULE_FORM)),
    "surveys_api:api_loop_rule": Case(
        methods=READ_AND_PATCH, target=lambda w: {"pk": w.extra["loop_rule"].pk}, form=lambda w: {"value": "5"}
    ),
}
