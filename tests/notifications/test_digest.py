"""The daily digest: one email a day to each person who chose it, listing what was not emailed since their last
digest; nothing for a person with nothing new; sent by beat's fan-out, one task per organisation."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from qms.accounts.models import User
from qms.celery import app as celery_app
from qms.notifications.digest import digests_send
from qms.notifications.models import Notification
from qms.notifications.tasks import digest_fan_out, digest_organization
from qms.tenancy.models import Membership
from tests.factories.notifications import NotificationFactory

from .conftest import notification_mail, notifications_of

DIGEST = "notification-digest"


def _at(day: int, hour: int) -> datetime:
    return timezone.make_aware(datetime(2026, 3, day, hour, 0))


def _waiting(tenant, user, *titles, at):
    return [
        NotificationFactory(
            organization=tenant.organization,
            recipient=user,
            title=title,
            url="/o/alpha/feedback/1/",
            email=Notification.Email.DIGEST,
            created_at=at,
        )
        for title in titles
    ]


def _send(tenant, now) -> int:
    with tenant.context():
        return digests_send(organization=tenant.organization, now=now)


@pytest.fixture
def digest_people(alpha, prefer):
    prefer(alpha.manager, delivery="digest")
    prefer(alpha.staff, delivery="digest")


def test_a_digest_person_gets_one_email_listing_every_item_waiting(alpha, digest_people):
    _waiting(alpha, alpha.manager, "New feedback F-1", "New feedback F-2", at=_at(2, 15))
    _waiting(alpha, alpha.staff, "F-3 was assigned to you", at=_at(2, 16))
    assert _send(alpha, _at(3, 7)) == 2
    manager_mail, staff_mail = notification_mail(alpha, DIGEST)
    assert manager_mail.to_email == "manager@alpha.test"
    assert "2 notifications" in manager_mail.subject
    assert "New feedback F-1" in manager_mail.body_text and "New feedback F-2" in manager_mail.body_html
    assert "F-3" not in manager_mail.body_text
    assert staff_mail.to_email == "staff@alpha.test" and "1 notification today" in staff_mail.subject
    assert all(n.emailed_at == _at(3, 7) for n in notifications_of(alpha))


def test_a_digest_goes_once_a_day_and_the_next_one_lists_only_what_came_since(alpha, digest_people):
    _waiting(alpha, alpha.manager, "New feedback F-1", at=_at(2, 15))
    assert _send(alpha, _at(3, 7)) == 1
    _waiting(alpha, alpha.manager, "New feedback F-2", at=_at(3, 9))
    assert _send(alpha, _at(3, 8)) == 0  # the same day: F-2 waits for tomorrow
    assert _send(alpha, _at(3, 23)) == 0
    assert _send(alpha, _at(4, 7)) == 1
    first, second = notification_mail(alpha, DIGEST)
    assert "F-1" in first.body_text and "F-2" not in first.body_text
    assert "F-2" in second.body_text and "F-1" not in second.body_text


def test_a_person_with_nothing_new_gets_no_digest(alpha, digest_people):
    assert _send(alpha, _at(3, 7)) == 0
    _waiting(alpha, alpha.manager, "New feedback F-1", at=_at(2, 15))
    _send(alpha, _at(3, 7))
    assert _send(alpha, _at(4, 7)) == 0
    assert len(notification_mail(alpha, DIGEST)) == 1


def test_no_digest_goes_before_the_hour(alpha, digest_people, settings):
    settings.NOTIFICATION_DIGEST_HOUR = 7
    _waiting(alpha, alpha.manager, "New feedback F-1", at=_at(2, 15))
    assert _send(alpha, _at(3, 6)) == 0
    assert notification_mail(alpha, DIGEST) == []


def test_notifications_emailed_at_once_are_not_listed_again(alpha, digest_people):
    NotificationFactory(organization=alpha.organization, recipient=alpha.manager, emailed_at=_at(2, 15))
    assert _send(alpha, _at(3, 7)) == 0


def test_a_member_whose_access_ended_gets_no_digest(alpha, digest_people):
    _waiting(alpha, alpha.staff, "F-3 was assigned to you", at=_at(2, 16))
    with alpha.context():
        Membership.objects.filter(organization=alpha.organization, user=alpha.staff).update(removed_at=timezone.now())
    assert _send(alpha, _at(3, 7)) == 0
    assert [n.email for n in notifications_of(alpha)] == ["none"]


def test_the_fan_out_sends_each_organisations_digests_in_its_own_context(alpha, bravo, digest_people, monkeypatch):
    _waiting(alpha, alpha.manager, "New feedback F-1", at=timezone.now() - timedelta(hours=1))
    _waiting(bravo, bravo.manager, "Bravo's own", at=timezone.now() - timedelta(hours=1))
    queued = []
    monkeypatch.setattr(digest_organization, "delay", lambda organization_id: queued.append(organization_id))
    digest_fan_out()
    assert queued == sorted([alpha.organization.pk, bravo.organization.pk])
    monkeypatch.setattr("qms.notifications.digest.digest_due", lambda now, zone: True)
    assert digest_organization(alpha.organization.pk) == 1
    [mail] = notification_mail(alpha, DIGEST)
    assert "F-1" in mail.body_text and "Bravo" not in mail.body_text
    assert notification_mail(bravo, DIGEST) == []  # bravo's own task was only queued


def test_running_the_same_days_digest_twice_sends_it_once(alpha, digest_people):
    _waiting(alpha, alpha.manager, "New feedback F-1", at=_at(2, 15))
    assert _send(alpha, _at(3, 7)) == 1
    _waiting(alpha, alpha.manager, "New feedback F-2", at=_at(2, 16))
    assert _send(alpha, _at(3, 7)) == 0


def test_beat_runs_the_digest_by_name_and_the_worker_knows_its_tasks(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notification-digest"]
    assert entry == {"task": "notifications.digest", "schedule": settings.NOTIFICATION_DIGEST_CHECK_SECONDS}
    celery_app.loader.import_default_modules()
    assert {"notifications.digest", "notifications.digest_organization"} <= set(celery_app.tasks)


def test_the_digest_goes_at_the_hour_where_each_person_is(alpha, digest_people, settings):
    settings.NOTIFICATION_DIGEST_HOUR = 7
    User.objects.filter(pk=alpha.manager.pk).update(time_zone="Asia/Tokyo")
    _waiting(alpha, alpha.manager, "New feedback F-1", at=_at(2, 12))
    assert _send(alpha, datetime(2026, 3, 2, 21, 30, tzinfo=UTC)) == 0  # 06:30 on 3 March in Tokyo
    assert _send(alpha, datetime(2026, 3, 2, 22, 30, tzinfo=UTC)) == 1  # 07:30 there, 22:30 in London
    User.objects.filter(pk=alpha.manager.pk).update(time_zone="America/New_York")
    _waiting(alpha, alpha.manager, "New feedback F-2", at=_at(3, 1))
    assert _send(alpha, _at(3, 8)) == 0  # 08:00 in London is 03:00 in New York
    assert _send(alpha, _at(3, 12)) == 1  # 07:00 there: its own 3 March, so not the Tokyo digest's day
