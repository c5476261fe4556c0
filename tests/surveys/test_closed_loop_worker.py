"""The closed loop on the real moving parts: answers recorded while Redis is down keep their follow-up, and a real
Celery worker on a real Redis opens each one once, however often beat's task runs; the account owner is told in the
app and by an email in the outbox."""

import pytest
from django.db import transaction

from feedback.models import FeedbackItem
from qms.notifications.models import Notification
from qms.outbox.models import OutboxMessage
from surveys.models import FollowUp
from surveys.tasks import open_follow_ups_task
from tests.outbox.conftest import running_worker
from tests.surveys.builders import ONE_PAGE, add_rule, build_survey

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_opens_each_follow_up_once_even_of_answers_given_while_redis_was_down(
    alpha, answer, broker, redis_server
):
    survey = build_survey(alpha.organization, questions=ONE_PAGE, name="Relationship NPS")
    add_rule(alpha, survey)
    redis_server.stop()
    first = answer(survey, nps=1, why="Nobody called back.", owner=alpha.staff)  # the customer is not held up
    second = answer(survey, nps=5, owner=alpha.staff)
    with alpha.context():
        assert FollowUp.objects.filter(item__isnull=True).count() == 2  # kept with the answers, waiting
    redis_server.start()
    with running_worker(broker) as worker:
        for _beat in range(3):  # beat runs again and again; nothing is opened twice
            open_follow_ups_task.delay()
            worker.drain()
    with transaction.atomic(), alpha.context():
        items = FeedbackItem.objects.filter(organization=alpha.organization, channel="survey")
        assert items.count() == 2
        assert {f.response_id: f.item.assignee for f in FollowUp.objects.select_related("item")} == {
            first.pk: alpha.staff, second.pk: alpha.staff,
        }  # fmt: skip
        told = Notification.objects.filter(recipient=alpha.staff, kind="feedback.assigned")
        assert sorted(n.title for n in told) == sorted(
            f"{item.reference} (Concern) was assigned to you" for item in items
        )
        assert OutboxMessage.objects.filter(organization=alpha.organization, to_email=alpha.staff.email).exists()
