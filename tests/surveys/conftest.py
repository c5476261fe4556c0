import pytest

from surveys.models import Invitation, Response
from surveys.services.sending import contacts_for, survey_send
from tests.factories import ContactFactory, CustomerFactory
from tests.outbox.conftest import broker, redis_server, smtp_sink  # noqa: F401 - the real-worker tests' fixtures


@pytest.fixture
def contacts(alpha):
    """contacts(n, **fields): n contacts of one new customer of alpha's (segment "Key accounts")."""

    def make(n=3, **fields):
        customer = CustomerFactory(organization=alpha.organization, segment="Key accounts")
        return [ContactFactory(customer=customer, **fields) for _ in range(n)]

    return make


@pytest.fixture
def answer(alpha, client):
    """answer(survey, nps=..., why=..., owner=...): a contact of a customer (account owner `owner`) answers the
    one-page survey through its link; the response."""

    def make(survey, *, nps, why="", owner=None):
        with alpha.context():
            customer = CustomerFactory(organization=alpha.organization, name="Hopper Works", account_owner=owner)
            contact = ContactFactory(customer=customer, name="Grace Hopper")
            send = survey_send(
                survey=survey, actor=alpha.manager,
                contacts=contacts_for(organization=alpha.organization, contact_ids=[contact.pk]),
            )  # fmt: skip
            invitation = Invitation.objects.select_related("message").get(send=send)
        token = invitation.message.context["token"]
        posted = client.post(f"/r/{token}/", {"page": "0", "action": "submit", "q_nps": str(nps), "q_why": why})
        assert posted.status_code == 302
        with alpha.context():
            return Response.objects.filter(invitation=invitation).first()  # None: anonymous

    return make
