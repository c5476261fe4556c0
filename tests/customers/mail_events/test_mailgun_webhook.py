"""Mailgun's event webhook: ?secret= in the URL, and Mailgun's own signature with the signing key the owner pasted."""

import json
import time

from .conftest import contact_of, fresh, hook_url, mailgun_body, mailgun_failed, make_secret, set_mailgun_key


def _post(client, tenant, secret, body: bytes):
    return client.post(hook_url(tenant, secret), body, content_type="application/json")


def test_a_permanent_failure_marks_the_address_and_a_temporary_one_counts(alpha, client):
    secret, key, ann = make_secret(alpha), set_mailgun_key(alpha), contact_of(alpha)
    response = _post(client, alpha, secret, mailgun_body(key, mailgun_failed(ann.email, "temporary", "452 full")))
    assert response.json() == {"source": "mailgun", "received": 1, "soft_bounce": 1}
    assert fresh(alpha, ann).soft_bounces == 1 and fresh(alpha, ann).undeliverable_at is None
    response = _post(client, alpha, secret, mailgun_body(key, mailgun_failed(ann.email)))
    assert response.json()["undeliverable"] == 1
    assert fresh(alpha, ann).undeliverable_reason == "Hard bounce: 550 5.1.1 No such mailbox"


def test_a_complaint_marks_the_address_and_an_open_is_ignored(alpha, client):
    secret, key, ann = make_secret(alpha), set_mailgun_key(alpha), contact_of(alpha)
    opened = {"event": "opened", "recipient": ann.email, "timestamp": time.time()}
    assert _post(client, alpha, secret, mailgun_body(key, opened)).json() == {"source": "mailgun", "received": 0}
    complained = {"event": "complained", "recipient": ann.email, "timestamp": time.time()}
    assert _post(client, alpha, secret, mailgun_body(key, complained)).json()["undeliverable"] == 1


def test_it_refuses_a_wrong_mailgun_signature_a_wrong_secret_and_a_replay(alpha, client):
    secret, key, ann = make_secret(alpha), set_mailgun_key(alpha), contact_of(alpha)
    event = mailgun_failed(ann.email)
    assert _post(client, alpha, secret, mailgun_body("key-of-someone-else", event)).status_code == 403
    assert _post(client, alpha, "whsec_wrong", mailgun_body(key, event)).status_code == 403
    stale = str(int(time.time()) - 600)
    response = _post(client, alpha, secret, mailgun_body(key, event, timestamp=stale))
    assert response.status_code == 403 and "replayed" in response.json()["error"]
    assert fresh(alpha, ann).undeliverable_at is None


def test_without_a_pasted_key_mailgun_is_refused(alpha, client):
    secret, ann = make_secret(alpha), contact_of(alpha)
    response = _post(client, alpha, secret, mailgun_body("any-key", mailgun_failed(ann.email)))
    assert response.status_code == 403 and "Mailgun signing key" in response.json()["error"]


def test_a_malformed_mailgun_body_is_a_400(alpha, client):
    secret, key = make_secret(alpha), set_mailgun_key(alpha)
    assert _post(client, alpha, secret, b"[1, 2]").status_code == 400
    assert _post(client, alpha, secret, json.dumps({"signature": {}, "event-data": 3}).encode()).status_code == 400
    no_recipient = mailgun_body(key, {"event": "failed", "severity": "permanent"})
    response = _post(client, alpha, secret, no_recipient)
    assert response.status_code == 400 and "recipient" in response.json()["error"]


def test_alphas_mailgun_key_and_secret_never_mark_bravos_contacts(alpha, bravo, client):
    secret, key = make_secret(alpha), set_mailgun_key(alpha)
    make_secret(bravo)
    bob = contact_of(bravo, email="bob@bravo.example")
    body = mailgun_body(key, mailgun_failed(bob.email))
    assert _post(client, bravo, secret, body).status_code == 403
    assert _post(client, alpha, secret, body).json()["unknown_address"] == 1
    assert fresh(bravo, bob).undeliverable_at is None
