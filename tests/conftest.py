"""Shared fixtures: two organisations, each with an owner, a manager, a staff member and an auditor.

On PostgreSQL the test database is created and migrated as the owner role; then every connection switches
to the application role (SET ROLE), so the whole suite runs under row-level security.
"""

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.test import TransactionTestCase
from django.test.utils import override_settings
from django_scopes import scopes_disabled

from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization, Role
from qms.tenancy.rls import APPEND_ONLY_TABLES
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

override_settings(
    STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    OUTBOX_RETRY_BASE_SECONDS=0,
    MEDIA_ROOT=tempfile.mkdtemp(prefix="closeloop-test-media-"),
).enable()

APP_ROLE = settings.DATABASE_APP_ROLE
IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _switch_to_app_role(sender, connection, **kwargs):
    # Only the test database's connections: creating and dropping it (on "postgres") stays with the owner.
    if connection.vendor == "postgresql" and connection.settings_dict["NAME"].startswith("test_"):
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(APP_ROLE)}")


@contextmanager
def as_owner():
    """Act as the migration owner for a moment (flushing tables between transactional tests, tampering)."""
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "postgresql" and conn.connection is not None:
            with conn.cursor() as cursor:
                cursor.execute("RESET ROLE")
    try:
        yield
    finally:
        for conn in connections.all(initialized_only=True):
            if conn.vendor == "postgresql" and conn.connection is not None:
                with conn.cursor() as cursor:
                    cursor.execute(f"SET ROLE {conn.ops.quote_name(APP_ROLE)}")


def _audit_triggers(state):
    """The append-only audit tables refuse TRUNCATE by trigger and by privilege, the owner's included: switched
    off (DISABLE) and on again (ENABLE) around a test's flush."""
    privilege = (
        "GRANT TRUNCATE ON {table} TO CURRENT_USER"
        if state == "DISABLE"
        else "REVOKE TRUNCATE ON {table} FROM CURRENT_USER"
    )
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "postgresql" and conn.connection is not None:
            with conn.cursor() as cursor:
                for table in APPEND_ONLY_TABLES:
                    cursor.execute(f"ALTER TABLE {table} {state} TRIGGER USER")
                    cursor.execute(privilege.format(table=table))


@contextmanager
def every_organisation():
    """Read any organisation's rows for a test's check: as the owner role, which the tenant policy exempts, with the
    scopes lifted. The application has no such context (qms.tenancy.crossings)."""
    connections["default"].ensure_connection()  # connected as the application role first, so RESET ROLE has effect
    with as_owner(), scopes_disabled():
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    if not (IS_POSTGRES and APP_ROLE):
        yield
        return
    connection_created.connect(_switch_to_app_role, dispatch_uid="tests-app-role")
    original_teardown = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        # The flush truncates every table; the audit chain refuses TRUNCATE for every role, so its triggers are
        # switched off as the owner for the flush alone (qms/audit/migrations/0005). A test that never touched the
        # database (a live server's public page) connects here, so that the owner's role is the one that flushes.
        connections["default"].ensure_connection()
        with as_owner():
            _audit_triggers("DISABLE")
            try:
                original_teardown(self)
            finally:
                _audit_triggers("ENABLE")

    TransactionTestCase._fixture_teardown = _fixture_teardown
    with django_db_blocker.unblock():
        connections.close_all()
    yield
    TransactionTestCase._fixture_teardown = original_teardown
    connection_created.disconnect(dispatch_uid="tests-app-role")
    with django_db_blocker.unblock():
        connections.close_all()


@dataclass
class Tenant:
    organization: Organization
    owner: object
    manager: object
    staff: object
    auditor: object

    @property
    def slug(self):
        return self.organization.slug

    def member(self, role: str):
        return getattr(self, role)

    def context(self):
        return organization_context(self.organization)


def make_tenant(slug: str, name: str) -> Tenant:
    organization = OrganizationFactory(slug=slug, name=name)
    people = {}
    for role in (Role.OWNER, Role.MANAGER, Role.STAFF, Role.AUDITOR):
        user = UserFactory(email=f"{role}@{slug}.test", full_name=f"{name} {role.title()}")
        MembershipFactory(organization=organization, user=user, role=role)
        people[role.value] = user
    return Tenant(organization=organization, **people)


@pytest.fixture
def alpha(db):
    return make_tenant("alpha", "Alpha Instruments")


@pytest.fixture
def bravo(db):
    return make_tenant("bravo", "Bravo Secret Holdings")


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def password():
    return PASSWORD


from tests.api_client import api  # noqa: E402,F401 - the bearer-token client fixture, for every app's API tests
