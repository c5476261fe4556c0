"""Password reset: the email goes through the outbox as system mail, and the page never reveals who has an account."""

import re

from django.conf import settings
from django.test import Client

from qms.outbox.models import OutboxMessage
from tests.conftest import every_organisation

RESET = "/accounts/password/reset/"
SENT = "/accounts/password/reset/sent/"
NEW_PASSWORD = "a-brand-new-passphrase-77"
LINK = re.compile(r"(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def _reset_emails():
    with every_organisation():
        return list(OutboxMessage.objects.filter(purpose="password-reset").order_by("created_at"))


def _reset_link():
    return LINK.search(_reset_emails()[-1].body_text).group(1)


def _set_new_password(client, link, password=NEW_PASSWORD):
    form_url = client.get(link).url
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def _sign_in(email, password):
    client = Client()
    response = client.post("/accounts/login/", {"username": email, "password": password})
    return client if response.status_code == 302 else None


def test_a_known_email_queues_a_system_reset_message(alpha, client):
    response = client.post(RESET, {"email": "staff@alpha.test"})
    assert response.status_code == 302
    assert response.url == SENT
    [message] = _reset_emails()
    assert message.organization_id is None
    assert message.to_email == "staff@alpha.test"
    assert message.state == OutboxMessage.State.PENDING
    assert f"{settings.SITE_URL}{_reset_link()}" in message.body_text


def test_the_reset_message_is_invisible_inside_an_organisation(alpha, client):
    client.post(RESET, {"email": "staff@alpha.test"})
    with alpha.context():
        assert not OutboxMessage.objects.filter(purpose="password-reset").exists()


def test_the_email_address_is_matched_without_regard_to_case(alpha, client):
    client.post(RESET, {"email": "Staff@ALPHA.test"})
    [message] = _reset_emails()
    assert message.to_email == "staff@alpha.test"


def test_following_the_link_sets_a_new_password_that_signs_in(alpha, client, password):
    client.post(RESET, {"email": "staff@alpha.test"})
    response = _set_new_password(Client(), _reset_link())
    assert response.status_code == 302
    assert response.url == "/accounts/password/reset/complete/"
    assert _sign_in("staff@alpha.test", NEW_PASSWORD) is not None
    assert _sign_in("staff@alpha.test", password) is None


def test_the_reset_form_refuses_a_weak_password(alpha, client, password):
    client.post(RESET, {"email": "staff@alpha.test"})
    response = _set_new_password(Client(), _reset_link(), password="12345")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert _sign_in("staff@alpha.test", password) is not None


def test_a_reset_link_works_only_once(alpha, client):
    client.post(RESET, {"email": "staff@alpha.test"})
    link = _reset_link()
    _set_new_password(Client(), link)
    response = Client().get(link, follow=True)
    assert response.status_code == 200
    assert not response.context["validlink"]
    assert b'name="new_password1"' not in response.content


def test_a_tampered_link_is_refused(alpha, client):
    client.post(RESET, {"email": "staff@alpha.test"})
    link = _reset_link()[:-3] + "xx/"
    response = Client().get(link, follow=True)
    assert not response.context["validlink"]


def test_an_unknown_email_writes_nothing_but_shows_the_same_page(alpha, client):
    known = Client().post(RESET, {"email": "staff@alpha.test"}, follow=True)
    unknown = Client().post(RESET, {"email": "nobody@alpha.test"}, follow=True)
    assert [m.to_email for m in _reset_emails()] == ["staff@alpha.test"]
    assert unknown.redirect_chain == known.redirect_chain == [(SENT, 302)]
    assert b"Check your email" in unknown.content
    assert unknown.content.replace(b"nobody", b"staff") == known.content.replace(b"nobody", b"staff")


def test_an_inactive_account_gets_no_reset_message(alpha, client):
    alpha.staff.is_active = False
    alpha.staff.save(update_fields=["is_active"])
    response = client.post(RESET, {"email": "staff@alpha.test"})
    assert response.url == SENT
    assert _reset_emails() == []
