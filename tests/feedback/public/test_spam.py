"""Spam resistance: a honeypot, a minimum fill time and a per-address rate limit counted in the database."""

import time
from datetime import timedelta

from django.core import signing
from django.utils import timezone

from feedback.forms.public import STARTED_AT_SALT, fill_token
from feedback.models import FeedbackItem

from .helpers import filled, items_of, outbox_of, submit

TEXT = "The calibration certificate should come with the wrench, not by post."


def test_a_filled_honeypot_is_dropped_silently_behind_a_normal_thank_you(alpha, client):
    response = submit(client, alpha, website="http://spam.example", send_confirmation="on")
    assert response.status_code == 302
    assert response["Location"].startswith("/p/alpha/feedback/thanks/")
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you for your feedback" in thanks.content.decode()
    assert "reference number" not in thanks.content.decode()
    assert items_of(alpha) == [] and outbox_of(alpha) == []


def test_a_form_sent_too_quickly_is_refused_with_the_text_kept(alpha, client):
    response = submit(client, alpha, seconds_ago=0.5)
    assert response.status_code == 200
    content = response.content.decode()
    assert "That was very quick" in content
    assert TEXT in content
    assert items_of(alpha) == []


def test_the_same_form_sent_again_after_a_moment_is_accepted(alpha, client):
    assert submit(client, alpha, seconds_ago=4).status_code == 302
    assert len(items_of(alpha)) == 1


def test_a_forged_or_foreign_fill_token_is_refused(alpha, bravo, client):
    unsigned = signing.dumps({"o": alpha.organization.pk, "t": time.time() - 60}, salt="another-salt")
    bravos = fill_token(bravo.organization, issued_at=time.time() - 60)
    stale = signing.dumps({"o": alpha.organization.pk, "t": time.time() - 60}, salt=STARTED_AT_SALT)
    for token in (unsigned, bravos, "garbage", stale[:-2] + "xx"):
        assert submit(client, alpha, started=token).status_code == 200
    assert items_of(alpha) == []


def test_the_rate_limit_answers_429_and_keeps_what_was_typed(alpha, client, settings):
    settings.PUBLIC_FORM_RATE_LIMIT = 2
    assert submit(client, alpha, ip="203.0.113.5").status_code == 302
    assert submit(client, alpha, ip="203.0.113.5").status_code == 302
    response = submit(client, alpha, ip="203.0.113.5", message="My third message, please keep it.")
    assert response.status_code == 429
    content = response.content.decode()
    assert "Please wait a few minutes" in content
    assert "My third message, please keep it." in content
    assert 'value="Ada Customer"' in content
    assert len(items_of(alpha)) == 2


def test_another_address_is_not_held_back_by_the_limit(alpha, client, settings):
    settings.PUBLIC_FORM_RATE_LIMIT = 1
    assert submit(client, alpha, ip="203.0.113.5").status_code == 302
    assert submit(client, alpha, ip="203.0.113.5").status_code == 429
    assert submit(client, alpha, ip="203.0.113.6").status_code == 302
    assert len(items_of(alpha)) == 2


def test_the_limit_is_per_organisation(alpha, bravo, client, settings):
    settings.PUBLIC_FORM_RATE_LIMIT = 1
    assert submit(client, alpha, ip="203.0.113.5").status_code == 302
    assert submit(client, bravo, ip="203.0.113.5").status_code == 302


def test_the_limit_is_counted_from_the_database_over_the_window(alpha, client, settings):
    settings.PUBLIC_FORM_RATE_LIMIT = 1
    settings.PUBLIC_FORM_RATE_WINDOW_MINUTES = 10
    assert submit(client, alpha, ip="203.0.113.5").status_code == 302
    assert submit(client, alpha, ip="203.0.113.5").status_code == 429
    with alpha.context():
        FeedbackItem.objects.filter(organization=alpha.organization).update(
            created_at=timezone.now() - timedelta(minutes=11)
        )
    assert submit(client, alpha, ip="203.0.113.5").status_code == 302


def test_a_forwarded_for_header_does_not_dodge_the_limit(alpha, client, settings):
    settings.PUBLIC_FORM_RATE_LIMIT = 1
    assert submit(client, alpha, ip="203.0.113.5").status_code == 302
    response = client.post(
        "/p/alpha/feedback/",
        filled(alpha),
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert response.status_code == 429
