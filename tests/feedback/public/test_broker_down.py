"""With no broker to reach, a customer's submission still succeeds at once: it writes only to the database."""

import logging
import socket
import time

import kombu.pools
import pytest

from qms import celery_app

from .helpers import items_of, outbox_of, submit

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.fixture
def unreachable_broker(monkeypatch):
    app = celery_app
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery prefers the variable to app.conf.broker_url
    saved = app.conf.broker_url, app.conf.broker_transport_options

    def reset():
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    reset()
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    yield
    reset()
    app.conf.broker_url, app.conf.broker_transport_options = saved


def test_a_submission_with_a_confirmation_succeeds_while_the_broker_is_unreachable(
    alpha, client, unreachable_broker, caplog
):
    caplog.set_level(logging.WARNING, logger="qms.queueing")
    started = time.monotonic()
    response = submit(client, alpha, send_confirmation="on")
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 5, f"the submission waited {elapsed:.1f} s on the broker"
    [item] = items_of(alpha)
    [message] = outbox_of(alpha)
    assert (message.state, message.to_email) == ("pending", item.submitter_email)
    assert "outbox.relay() not queued" in caplog.text  # the nudge really tried, and failed
    assert item.reference in client.get(response["Location"]).content.decode()
