"""Two-factor sign-in: anyone may turn it on (scan, confirm, keep recovery codes); then every sign-in asks for a
code; an organisation may require it of its owners and auditors; API tokens are unaffected."""

import re
import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from qms.accounts.two_factor import verify_second_factor
from tests.factories import ApiTokenFactory

LOGIN, CODE, TWO_FACTOR = "/accounts/login/", "/accounts/login/code/", "/accounts/two-factor/"
HOME = "/o/alpha/"


def _code(device, *, drift=0):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def _turn_on(client, user):
    """Through the page, as a person would; returns the recovery codes it showed."""
    assert client.post(TWO_FACTOR, {"action": "start"}).status_code == 302
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(TWO_FACTOR, {"action": "confirm", "code": _code(device)})
    assert response.status_code == 200
    return re.findall(r"<li>([0-9a-f]{5}-[0-9a-f]{5})</li>", response.content.decode())


def _sign_in(password, email="owner@alpha.test", next_url=""):
    client = Client()
    data = {"username": email, "password": password, **({"next": next_url} if next_url else {})}
    return client, client.post(LOGIN, data, REMOTE_ADDR="203.0.113.20")


def _fresh_code(user):
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    device.refresh_from_db()
    device.last_t = -1  # a new sign-in in the same 30 seconds may reuse the window's code only once
    device.save(update_fields=["last_t"])
    return _code(device)


def test_setting_it_up_shows_a_qr_code_and_a_key_and_asks_for_a_first_code(alpha, login):
    client = login(alpha.manager)
    client.post(TWO_FACTOR, {"action": "start"})
    page = client.get(TWO_FACTOR).content.decode()
    assert '<svg role="img" aria-label="QR code' in page and "Or type this key" in page
    wrong = client.post(TWO_FACTOR, {"action": "confirm", "code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=alpha.manager, confirmed=True).exists()
    codes = _turn_on(client, alpha.manager)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "Signing in asks for a code" in client.get(TWO_FACTOR).content.decode()
    assert not any(code in client.get(TWO_FACTOR).content.decode() for code in codes), "shown once only"


def test_with_it_on_signing_in_asks_for_the_code_before_any_page(alpha, login, password):
    _turn_on(login(alpha.owner), alpha.owner)
    client, response = _sign_in(password, next_url=HOME)
    assert response.url.startswith(CODE)
    assert client.get(HOME).url.startswith(CODE), "no page before the code"
    assert client.get("/api/v1/o/alpha/members/").status_code == 403, "nor the API with this session"
    assert "That code is not right" in client.post(CODE, {"code": "123456", "next": HOME}).content.decode()
    time.sleep(1.1)  # a wrong code holds the next try back a second, doubling with each one (django-otp)
    response = client.post(CODE, {"code": _fresh_code(alpha.owner), "next": HOME})
    assert response.url == HOME
    assert client.get(HOME).status_code == 200
    assert client.get("/api/v1/o/alpha/members/").status_code == 200


def test_a_recovery_code_signs_in_once(alpha, login, password):
    [first, *_] = _turn_on(login(alpha.owner), alpha.owner)
    client, _ = _sign_in(password)
    assert client.post(CODE, {"code": first.upper()}).status_code == 302
    assert client.get(HOME).status_code == 200
    client, _ = _sign_in(password)
    assert "That code is not right" in client.post(CODE, {"code": first}).content.decode()


def test_turning_it_off_or_renewing_codes_needs_a_current_code(alpha, login):
    client = login(alpha.staff)
    old = _turn_on(client, alpha.staff)
    assert "That code is not right" in client.post(TWO_FACTOR, {"action": "disable", "code": "1"}).content.decode()
    time.sleep(1.1)  # a wrong code holds the next try back a second
    renewed = client.post(TWO_FACTOR, {"action": "renew", "code": old[0]})
    new = re.findall(r"<li>([0-9a-f]{5}-[0-9a-f]{5})</li>", renewed.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert verify_second_factor(user=alpha.staff, code=old[1]) is None, "the old codes no longer work"
    time.sleep(1.1)
    client.post(TWO_FACTOR, {"action": "disable", "code": new[0]})
    assert not TOTPDevice.objects.filter(user=alpha.staff).exists()


def test_an_organisations_requirement_holds_in_that_organisation_only(alpha, bravo, login):
    _turn_on(login(alpha.owner), alpha.owner)
    login(alpha.owner).post(
        "/o/alpha/settings/",
        {"name": "Alpha Instruments", "time_zone": "Europe/London", "language": "en-gb", "two_factor_required": "on"},
    )
    bravo_owner = Client()
    bravo_owner.force_login(bravo.owner)
    assert bravo_owner.get("/o/bravo/").status_code == 200, "bravo requires nothing of its owners"
    assert bravo_owner.get(HOME).status_code == 404, "and alpha is still not theirs to see"
    bravo.organization.refresh_from_db()
    assert bravo.organization.two_factor_required is False


def test_an_organisation_may_require_it_of_owners_and_auditors(alpha, login, password):
    owner = login(alpha.owner)
    refused = owner.post(
        "/o/alpha/settings/",
        {"name": "Alpha Instruments", "time_zone": "Europe/London", "language": "en-gb", "two_factor_required": "on"},
    )
    assert "Turn on two-factor sign-in for yourself first" in refused.content.decode()
    _turn_on(owner, alpha.owner)
    assert (
        owner.post(
            "/o/alpha/settings/",
            {
                "name": "Alpha Instruments",
                "time_zone": "Europe/London",
                "language": "en-gb",
                "two_factor_required": "on",
            },
        ).status_code
        == 302
    )
    auditor = Client()
    auditor.force_login(alpha.auditor)
    response = auditor.get(HOME)
    assert response.url == TWO_FACTOR
    assert auditor.get("/api/v1/o/alpha/members/").status_code == 403
    manager = Client()
    manager.force_login(alpha.manager)
    assert manager.get(HOME).status_code == 200, "managers and staff choose for themselves"
    _turn_on(auditor, alpha.auditor)  # setting it up also signs this session in with it
    assert auditor.get(HOME).status_code == 200


def test_api_tokens_are_unaffected(alpha, login):
    _turn_on(login(alpha.owner), alpha.owner)
    alpha.organization.two_factor_required = True
    alpha.organization.save(update_fields=["two_factor_required"])
    with alpha.context():
        membership = alpha.owner.memberships.get(organization=alpha.organization)
    ApiTokenFactory(membership=membership, key="cl_alpha-two-factor-token")
    response = Client().get("/api/v1/o/alpha/members/", headers={"authorization": "Bearer cl_alpha-two-factor-token"})
    assert response.status_code == 200


def test_the_later_signatures_can_ask_for_a_fresh_code(alpha, login):
    _turn_on(login(alpha.manager), alpha.manager)
    assert verify_second_factor(user=alpha.manager, code=_fresh_code(alpha.manager)) is not None
    assert verify_second_factor(user=alpha.manager, code="") is None
    assert verify_second_factor(user=alpha.auditor, code="123456") is None


@pytest.mark.parametrize("code", ["", " ", "x" * 21])
def test_a_malformed_code_is_a_form_error_not_a_crash(alpha, login, password, code):
    _turn_on(login(alpha.owner), alpha.owner)
    client, _ = _sign_in(password)
    assert client.post(CODE, {"code": code}).status_code == 200
