"""Fifty customers' browsers (or one impatient one) submitting one link at the same moment store one response:
real requests, each in its own thread and database connection, on PostgreSQL."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from qms.tenancy.context import organization_context
from surveys.models import Invitation, Response
from surveys.services.sending import contacts_for, survey_send
from tests.conftest import IS_POSTGRES, make_tenant
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="row locks across connections are PostgreSQL's")
SUBMISSIONS = 50


def _at_once(request, times):
    answers = [None] * times
    start = threading.Barrier(times)

    def run(index):
        try:
            start.wait(timeout=30)
            answers[index] = request(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_fifty_concurrent_submissions_of_one_link_store_exactly_one_response(transactional_db):
    tenant = make_tenant("race", "Race Ltd")
    organization = tenant.organization
    survey = build_survey(
        organization, questions=[{"code": "nps", "kind": "nps", "text": "Recommend?", "required": True}]
    )
    person = ContactFactory(customer=CustomerFactory(organization=organization))
    with transaction.atomic(), organization_context(organization):
        send = survey_send(survey=survey, actor=tenant.manager, contacts=contacts_for(
            organization=organization, contact_ids=[person.pk]))  # fmt: skip
        token = Invitation.objects.select_related("message").get(send=send).message.context["token"]
    link = reverse("links:survey_response", kwargs={"token": token})

    def submit(index):
        return Client().post(link, {"page": "0", "action": "submit", "q_nps": str(index % 11)}).status_code

    codes = _at_once(submit, SUBMISSIONS)
    assert sorted(set(codes)) == [200, 302] and codes.count(302) == 1  # one thank-you, 49 "already answered"
    with transaction.atomic(), organization_context(organization):
        assert Response.objects.filter(survey=survey).count() == 1
