"""A request that writes and then fails with a server error keeps none of its writes (nor the emails they queued):
the middleware's transaction is rolled back on any 5xx answer."""

import pytest
from django.test import Client, override_settings

from qms.audit.models import AuditEvent
from qms.outbox.models import OutboxMessage


@pytest.mark.parametrize("path", ["/o/alpha/broken/", "/p/alpha/broken/"])
@override_settings(ROOT_URLCONF="tests.tenancy.failing_urls")
def test_a_request_that_fails_after_writing_keeps_nothing(alpha, path):
    client = Client(raise_request_exception=False)
    client.force_login(alpha.manager)
    assert client.get(path).status_code == 500
    with alpha.context():
        assert not AuditEvent.objects.filter(organization=alpha.organization, action="thing.half_done").exists()
        assert not OutboxMessage.objects.filter(
            organization=alpha.organization, to_email="someone@example.com"
        ).exists()
