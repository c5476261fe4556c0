"""Our own format: {"events": [...]} signed with the organisation's secret over timestamp + "." + body."""

import json
import time

from qms.audit.models import AuditEvent

from .conftest import contact_of, fresh, hook_url, make_secret, post_generic


def test_a_signed_hard_bounce_marks_the_address_undeliverable_with_its_answer(alpha, client):
    secret, ann = make_secret(alpha), contact_of(alpha)
    event = {"type": "bounce", "bounce": "hard", "email": "ANN@acme.example", "reason": "550 5.1.1 No such user"}
    response = post_generic(client, alpha, secret, [event])
    assert response.status_code == 200, response.content
    assert response.json() == {"source": "closeloop", "received": 1, "undeliverable": 1}
    ann = fresh(alpha, ann)
    assert ann.undeliverable_at is not None and ann.undeliverable_reason == "Hard bounce: 550 5.1.1 No such user"
    with alpha.context():
        [audit] = AuditEvent.objects.filter(organization=alpha.organization, action="contact.mail_undeliverable")
    assert audit.actor is None and audit.changes["via"] == [None, "mail events webhook (closeloop)"]


def test_it_refuses_a_wrong_signature_and_changes_nothing(alpha, client):
    make_secret(alpha)
    ann = contact_of(alpha)
    response = post_generic(client, alpha, "whsec_not-the-secret", [{"type": "complaint", "email": ann.email}])
    assert response.status_code == 403
    assert fresh(alpha, ann).undeliverable_at is None


def test_it_refuses_a_replayed_request_older_than_five_minutes(alpha, client):
    secret, ann = make_secret(alpha), contact_of(alpha)
    old = str(int(time.time()) - 301)
    response = post_generic(client, alpha, secret, [{"type": "complaint", "email": ann.email}], timestamp=old)
    assert response.status_code == 403 and "replayed" in response.json()["error"]
    assert fresh(alpha, ann).undeliverable_at is None


def test_a_malformed_body_is_a_400_that_says_what_is_wrong(alpha, client):
    secret = make_secret(alpha)
    assert post_generic(client, alpha, secret, [], body=b"{not json").json() == {"error": "The body is not JSON."}
    cases = [
        ({"events": "x"}, 'The body must be an object with a list "events".'),
        ({"events": [{"type": "opened", "email": "a@b.example"}]}, "events[0].type must be"),
        ({"events": [{"type": "bounce", "email": "a@b.example"}]}, 'events[0].bounce must be "hard" or "soft".'),
        ({"events": [{"type": "delivered"}]}, "events[0] needs an email or a message_id."),
        ({"events": [{"type": "delivered", "email": 5}]}, "events[0].email must be a string."),
    ]
    for body, message in cases:
        response = post_generic(client, alpha, secret, [], body=json.dumps(body).encode())
        assert response.status_code == 400 and message in response.json()["error"]


def test_a_rotated_secret_stops_working_at_once(alpha, client):
    old = make_secret(alpha)
    new = make_secret(alpha)
    ann = contact_of(alpha)
    assert post_generic(client, alpha, old, [{"type": "complaint", "email": ann.email}]).status_code == 403
    assert post_generic(client, alpha, new, [{"type": "complaint", "email": ann.email}]).status_code == 200
    assert fresh(alpha, ann).undeliverable_reason == "Marked as spam"


def test_a_secret_of_alpha_never_opens_bravos_url_and_an_unknown_org_answers_the_same(alpha, bravo, client):
    alpha_secret = make_secret(alpha)
    make_secret(bravo)
    bob = contact_of(bravo, email="bob@bravo.example")
    events = [{"type": "bounce", "bounce": "hard", "email": bob.email}]
    on_bravo = post_generic(client, bravo, alpha_secret, events)
    unknown = post_generic(client, "no-such-org", alpha_secret, events)
    assert on_bravo.status_code == unknown.status_code == 403
    assert on_bravo.content == unknown.content
    assert fresh(bravo, bob).undeliverable_at is None


def test_alphas_secret_with_bravos_contact_address_touches_only_alpha(alpha, bravo, client):
    secret = make_secret(alpha)
    bob = contact_of(bravo, email="bob@bravo.example")
    response = post_generic(client, alpha, secret, [{"type": "bounce", "bounce": "hard", "email": bob.email}])
    assert response.json() == {"source": "closeloop", "received": 1, "unknown_address": 1}
    assert fresh(bravo, bob).undeliverable_at is None


def test_an_organisation_without_a_secret_refuses_everything(alpha, client):
    ann = contact_of(alpha)
    assert post_generic(client, alpha, "", [{"type": "complaint", "email": ann.email}]).status_code == 403


def test_only_post_and_the_body_is_bounded(alpha, client):
    secret = make_secret(alpha)
    assert client.get(hook_url(alpha)).status_code == 405
    big = json.dumps({"events": [], "padding": "x" * 256 * 1024}).encode()
    response = post_generic(client, alpha, secret, [], body=big)
    assert response.status_code == 413


def test_an_address_refused_too_often_is_refused_for_an_hour(alpha, client, settings):
    settings.PUBLIC_LINK_MISSES_PER_HOUR = 2
    secret, ann = make_secret(alpha), contact_of(alpha)
    for _ in range(3):
        assert post_generic(client, alpha, "wrong", [{"type": "complaint", "email": ann.email}]).status_code == 403
    response = post_generic(client, alpha, secret, [{"type": "complaint", "email": ann.email}])
    assert response.status_code == 429
    assert fresh(alpha, ann).undeliverable_at is None
