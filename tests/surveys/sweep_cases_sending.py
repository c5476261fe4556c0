"""Sweep cases for sending surveys, following a send, reading responses and results, and the surveys' API.

The customer's links (/r/<token>/, /u/<token>/) are not organisation routes: a token names its own organisation,
and tests/surveys/test_links_isolation.py proves one organisation's token never shows another's survey.
"""

from django.test import Client
from django.urls import reverse

from surveys.models import Invitation, Response, Survey, SurveySend
from surveys.services.sending import contacts_for, survey_send
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import build_survey
from tests.sweep.core import GET_POST, POST, Case


def populate(tenant, marker):
    organization = tenant.organization
    survey = build_survey(organization, name=f"{marker} sent survey", questions=[
        {"code": "why", "kind": "long_text", "text": f"{marker} question", "required": True}])  # fmt: skip
    customer = CustomerFactory(organization=organization, name=f"{marker} survey customer", segment=f"{marker} seg")
    contact = ContactFactory(customer=customer, name=f"{marker} respondent", email=f"{marker}-r@example.com")
    second = ContactFactory(customer=customer, name=f"{marker} second", email=f"{marker}-s@example.com")
    closed = build_survey(organization, name=f"{marker} closed survey", status=Survey.Status.CLOSED)
    with tenant.context():
        send = survey_send(survey=survey, actor=tenant.manager, contacts=contacts_for(
            organization=organization, contact_ids=[contact.pk, second.pk]))  # fmt: skip
        # the first contact answers; the second's invitation stays open, for the revoke probe
        token = Invitation.objects.select_related("message").get(send=send, contact=contact).message.context["token"]
    Client().post(reverse("links:survey_response", kwargs={"token": token}),
                  {"page": "0", "action": "submit", "q_why": f"{marker} answer"})  # fmt: skip
    with tenant.context():
        response = Response.objects.get(organization=organization, survey=survey)
    return {"sent_survey": survey, "closed_survey": closed, "send": send, "response": response, "respondent": contact}


def snapshot(tenant):
    organization = tenant.organization
    return {
        "sends": list(SurveySend.objects.filter(organization=organization).order_by("pk").values_list("pk", "invited")),
        "invitations": list(
            Invitation.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "contact", "answered_at", "revoked_at")
        ),
        "statuses": list(Survey.objects.filter(organization=organization).order_by("pk").values_list("pk", "status")),
        "responses": list(
            Response.objects.filter(organization=organization).order_by("pk").values_list("pk", "survey")
        ),
    }


def _survey(w):
    return {"survey_id": w.extra["sent_survey"].pk}


CASES = {
    "surveys:survey_send": Case(
        methods=GET_POST,
        target=_survey,
        form=lambda w: {"audience": "segment", "segment": w.text("{marker} seg"), "confirm": "1"},
    ),  # fmt: skip
    "surveys:send_detail": Case(
        target=lambda w: {"survey_id": w.extra["sent_survey"].pk, "send_id": w.extra["send"].pk},
        shows=("{marker} respondent",),
    ),
    "surveys:send_revoke": Case(
        methods=POST, target=lambda w: {"survey_id": w.extra["sent_survey"].pk, "send_id": w.extra["send"].pk}
    ),
    "surveys:survey_close": Case(methods=POST, target=_survey),
    "surveys:survey_reopen": Case(methods=POST, target=lambda w: {"survey_id": w.extra["closed_survey"].pk}),
    "surveys:response_list": Case(target=_survey, shows=("{marker} respondent",)),
    "surveys:response_detail": Case(
        target=lambda w: {"survey_id": w.extra["sent_survey"].pk, "response_id": w.extra["response"].pk},
        shows=("{marker} answer",),
    ),
    "surveys:survey_results": Case(target=_survey, shows=("{marker} answer",)),
    "surveys:survey_results_answers": Case(target=_survey, shows=("{marker} answer",)),
    "surveys:survey_results_summary": Case(target=_survey),
    "surveys_api:api_surveys": Case(shows=("{marker} sent survey",)),
    "surveys_api:api_survey": Case(target=lambda w: {"pk": w.extra["sent_survey"].pk}, shows=("{marker} sent survey",)),
    "surveys_api:api_survey_version": Case(
        target=lambda w: {"survey_id": w.extra["sent_survey"].pk, "number": 1}, shows=("{marker} question",)
    ),
    "surveys_api:api_survey_sends": Case(target=_survey, form=lambda w: {"segment": w.text("{marker} seg")}),
    "surveys_api:api_send": Case(target=lambda w: {"pk": w.extra["send"].pk}),
    "surveys_api:api_survey_summary": Case(target=lambda w: {"pk": w.extra["sent_survey"].pk}),
    "surveys_api:api_send_summary": Case(target=lambda w: {"pk": w.extra["send"].pk}),
}
