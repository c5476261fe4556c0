"""Altering audit rows the way someone with the owner's database rights could, to prove it is detected."""

from contextlib import contextmanager

from django.db import connection

from qms.audit.models import AuditEvent
from tests.conftest import IS_POSTGRES, as_owner

TRIGGER = "audit_event_append_only"


@contextmanager
def tampering():
    """On PostgreSQL, switch the append-only trigger off as the owner; SQLite has no trigger to switch."""
    if not IS_POSTGRES:
        yield
        return
    with as_owner():
        with connection.cursor() as cursor:
            # ALTER TABLE refuses while deferred foreign-key checks of this test's inserts are still pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def tamper(tenant, seq, **values):
    with tampering(), tenant.context():
        assert AuditEvent.objects.filter(organization=tenant.organization, seq=seq).update(**values) == 1


def delete_event(tenant, seq):
    with tampering(), tenant.context():
        assert AuditEvent.objects.filter(organization=tenant.organization, seq=seq).delete()[0] == 1
