"""The public form's rate limit holds when one address posts many times at the same moment: real requests, each
in its own thread and database connection, all counting before any of them has written."""

import contextlib
import threading

import pytest
from django.test import Client

from feedback.services import intake
from tests.tenancy.test_last_owner_concurrency import _at_once

from .helpers import FORM, filled, items_of

POSTS = 12


@pytest.fixture
def all_count_together(monkeypatch):
    """Hold each submission just after it counted the address's recent ones, until all have counted or a moment
    has passed: without a lock, every one of them sees the same count and writes."""
    meet = threading.Barrier(POSTS)
    count = intake.intake_recent_count

    def count_then_wait(**kwargs):
        counted = count(**kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):  # the others queue on the lock: go on alone
            meet.wait(timeout=2)
        return counted

    monkeypatch.setattr(intake, "intake_recent_count", count_then_wait)


def test_twelve_posts_at_once_from_one_address_let_only_the_limit_through(
    transactional_db, alpha, settings, all_count_together
):
    settings.PUBLIC_FORM_RATE_LIMIT = 5
    url, form = FORM.format(slug=alpha.slug), filled(alpha)
    answers = _at_once(*[lambda: Client().post(url, form, REMOTE_ADDR="203.0.113.9") for _ in range(POSTS)])
    assert sorted(answer.status_code for answer in answers) == [302] * 5 + [429] * (POSTS - 5)
    assert len(items_of(alpha)) == 5
