"""Queueing Celery tasks from a request or a service: by name, after commit, never waiting on a dead broker.

Tasks are sent by their registered name (`customers.import_run`), so a service module never imports the tasks
module that imports it back. A task queued from a request is a nudge: the periodic jobs (the outbox relay, an
app's upkeep) are the guarantee, so a broker that is down costs a log line, never the customer's request.
"""

import logging
import random
from functools import partial

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)

# One connection attempt this long: `.delay()` alone can hang for many seconds when the broker is unreachable.
BROKER_TIMEOUT_SECONDS = 1


def queue_now(task_name: str, *args: object) -> bool:
    """Send the task by name with one short connection attempt; False (and a warning) if the broker is away."""
    try:
        with current_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
            current_app.send_task(task_name, args=list(args), retry=False, connection=broker)
    except Exception as exc:  # noqa: BLE001 - any broker failure must leave the caller's work standing
        log.warning("%s%s not queued (%s); it waits for the periodic job or a retry", task_name, args, exc)
        return False
    return True


def queue_on_commit(task_name: str, *args: object) -> None:
    """queue_now once the caller's transaction commits (nothing is sent if it rolls back)."""
    transaction.on_commit(partial(queue_now, task_name, *args))


def retry_delay(attempt: int, *, base: float = 5, cap: float = 300) -> float:
    """Seconds before retry number `attempt` (0 first): exponential from `base` up to `cap`, with jitter so that
    many failures at once do not retry in step."""
    ceiling = min(cap, base * 2**attempt)
    return random.uniform(ceiling / 2, ceiling)
