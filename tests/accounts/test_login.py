"""Signing in with email and password, and django-axes locking out guessing by username and IP together."""

from django.conf import settings
from django.test import Client

LOGIN = "/accounts/login/"
WRONG = "not-the-password"


def _sign_in(client, email, password, ip="203.0.113.10", **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra}, REMOTE_ADDR=ip)


def _signed_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def _fail_until_locked(email, ip):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, email, WRONG, ip=ip)


def test_the_login_page_asks_for_email_and_password(db, client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'type="email"' in response.content
    assert b'name="password"' in response.content


def test_it_signs_in_with_email_and_password(alpha, client, password):
    response = _sign_in(client, "owner@alpha.test", password)
    assert response.status_code == 302
    assert response.url == "/"
    assert _signed_in_as(client) == alpha.owner.pk
    assert client.get("/").url == "/o/alpha/"


def test_the_email_is_case_insensitive(alpha, client, password):
    response = _sign_in(client, "Owner@ALPHA.test", password)
    assert response.status_code == 302
    assert _signed_in_as(client) == alpha.owner.pk


def test_it_follows_a_safe_next_parameter(alpha, client, password):
    response = _sign_in(client, "manager@alpha.test", password, next="/o/alpha/audit/")
    assert response.status_code == 302
    assert response.url == "/o/alpha/audit/"


def test_it_rejects_a_wrong_password(alpha, client):
    response = _sign_in(client, "owner@alpha.test", WRONG)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert _signed_in_as(client) is None


def test_it_rejects_an_unknown_email(alpha, client, password):
    response = _sign_in(client, "nobody@alpha.test", password)
    assert response.status_code == 200
    assert _signed_in_as(client) is None


def test_it_rejects_an_inactive_account(alpha, client, password):
    alpha.staff.is_active = False
    alpha.staff.save(update_fields=["is_active"])
    response = _sign_in(client, "staff@alpha.test", password)
    assert response.status_code == 200
    assert _signed_in_as(client) is None


def test_a_few_failures_below_the_limit_do_not_lock_the_account(alpha, client, password):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "owner@alpha.test", WRONG).status_code == 200
    response = _sign_in(client, "owner@alpha.test", password)
    assert response.status_code == 302
    assert _signed_in_as(client) == alpha.owner.pk


def test_after_the_failure_limit_even_the_right_password_is_refused(alpha, password):
    _fail_until_locked("owner@alpha.test", "203.0.113.10")
    client = Client()
    response = _sign_in(client, "owner@alpha.test", password, ip="203.0.113.10")
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert _signed_in_as(client) is None


def test_the_lockout_ignores_the_case_of_the_email(alpha, password):
    _fail_until_locked("owner@alpha.test", "203.0.113.10")
    response = _sign_in(Client(), "OWNER@alpha.test", password, ip="203.0.113.10")
    assert response.status_code == 429


def test_the_same_person_can_still_sign_in_from_another_address(alpha, password):
    _fail_until_locked("owner@alpha.test", "203.0.113.10")
    client = Client()
    response = _sign_in(client, "owner@alpha.test", password, ip="198.51.100.7")
    assert response.status_code == 302
    assert _signed_in_as(client) == alpha.owner.pk


def test_another_person_can_still_sign_in_from_the_locked_address(alpha, password):
    _fail_until_locked("owner@alpha.test", "203.0.113.10")
    client = Client()
    response = _sign_in(client, "manager@alpha.test", password, ip="203.0.113.10")
    assert response.status_code == 302
    assert _signed_in_as(client) == alpha.manager.pk


def test_the_failure_that_reaches_the_limit_already_answers_with_the_lockout_page(alpha):
    limit = settings.AXES_FAILURE_LIMIT
    client = Client()
    statuses = [_sign_in(client, "owner@alpha.test", WRONG).status_code for _ in range(limit)]
    assert statuses == [200] * (limit - 1) + [429]


def test_failures_typed_in_different_cases_count_together(alpha, password):
    client = Client()
    for variant in ("owner@alpha.test", "Owner@alpha.test", "OWNER@alpha.test", "owner@Alpha.test", "owner@ALPHA.TEST"):
        _sign_in(client, variant, WRONG)
    assert _sign_in(Client(), "oWnEr@alpha.test", password).status_code == 429
