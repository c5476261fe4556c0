"""The confirmation page shows a reference only to the person whose link it is."""

from django.core import signing

from feedback.views.public import THANKS_SALT
from tests.factories import FeedbackItemFactory

from .helpers import items_of, submit


def test_my_own_link_shows_my_reference(alpha, client):
    location = submit(client, alpha)["Location"]
    [item] = items_of(alpha)
    assert item.reference in client.get(location).content.decode()


def test_a_guessed_reference_in_the_address_shows_nothing(alpha, client):
    FeedbackItemFactory(organization=alpha.organization, reference="F-2026-0001")
    response = client.get("/p/alpha/feedback/thanks/F-2026-0001/")
    assert response.status_code == 200
    assert "F-2026-0001" not in response.content.decode()


def test_a_tampered_link_shows_no_reference(alpha, client):
    submit(client, alpha)
    [item] = items_of(alpha)
    forged = signing.dumps({"o": alpha.organization.pk, "r": item.reference}, salt="guessed-salt")
    response = client.get(f"/p/alpha/feedback/thanks/{forged}/")
    assert response.status_code == 200
    assert item.reference not in response.content.decode()


def test_another_organisations_link_shows_no_reference(alpha, bravo, client):
    location = submit(client, bravo)["Location"]
    [item] = items_of(bravo)
    token = location.rstrip("/").rsplit("/", 1)[1]
    response = client.get(f"/p/alpha/feedback/thanks/{token}/")
    assert response.status_code == 200
    assert item.reference not in response.content.decode()
    assert "Bravo" not in response.content.decode()


def test_the_signed_value_binds_the_organisation(alpha, bravo, client):
    token = signing.dumps({"o": bravo.organization.pk, "r": "F-2026-0042", "c": False}, salt=THANKS_SALT)
    assert "F-2026-0042" not in client.get(f"/p/alpha/feedback/thanks/{token}/").content.decode()
    assert "F-2026-0042" in client.get(f"/p/bravo/feedback/thanks/{token}/").content.decode()
