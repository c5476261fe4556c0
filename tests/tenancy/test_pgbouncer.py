"""The organisation context cannot leak through PgBouncer in transaction pooling, the way production serves many
web and worker processes from one database: requests and worker tasks of two organisations run at once through a
pool of two server connections, and each sees its own organisation's rows only."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from qms.tenancy.context import organization_context
from qms.tenancy.models import Membership
from tests.conftest import APP_ROLE, IS_POSTGRES, make_tenant
from tests.factories import ApiTokenFactory, MembershipFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not IS_POSTGRES, reason="PgBouncer pools PostgreSQL connections"),
    pytest.mark.skipif(
        shutil.which("pgbouncer") is None, reason="Debian's pgbouncer is not installed (.ci/run installs it)"
    ),
]
ROUNDS = 25


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def bouncer():
    """pgbouncer in transaction mode in front of the test database, two server connections for every client."""
    settings = connection.settings_dict
    folder = Path(tempfile.mkdtemp(prefix="closeloop-pgbouncer-"))
    port = _free_port()
    (folder / "userlist.txt").write_text(f'"{APP_ROLE}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'userlist.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 50\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
    )
    os.chmod(folder, 0o755)  # noqa: S103 - the postgres user reads its configuration here
    command = ["pgbouncer", str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(folder, "postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise RuntimeError("pgbouncer did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def through(bouncer):
    """New connections (each thread's) go through the bouncer, logged in as the application role."""
    default = connections.settings["default"]
    saved = {key: default[key] for key in ("HOST", "PORT", "USER", "CONN_MAX_AGE")}
    # CONN_MAX_AGE=0 as the README's deployment behind the pooler has it (so nothing is prepared: qms.tenancy.sql)
    default.update(HOST="127.0.0.1", PORT=str(bouncer), USER=APP_ROLE, CONN_MAX_AGE=0)
    try:
        yield
    finally:
        default.update(saved)


@pytest.fixture
def two(transactional_db):
    tenants = []
    for slug, name, extra in (("alpha", "Alpha Instruments", 3), ("bravo", "Bravo Secret Holdings", 5)):
        tenant = make_tenant(slug, name)
        MembershipFactory.create_batch(extra, organization=tenant.organization)
        with tenant.context():
            owner = Membership.objects.get(organization=tenant.organization, user=tenant.owner)
        ApiTokenFactory(membership=owner, key=f"cl_{slug}-bouncer-token")
        with tenant.context():
            emails = set(
                Membership.objects.filter(organization=tenant.organization).values_list("user__email", flat=True)
            )
        tenants.append((tenant, emails))
    return tenants


def test_requests_and_tasks_of_two_organisations_through_transaction_pooling_see_only_their_own(two, through):
    failures: list[str] = []
    start = threading.Barrier(4)

    def web(tenant, emails):
        client = Client()
        start.wait(timeout=30)
        for _ in range(ROUNDS):
            response = client.get(
                f"/api/v1/o/{tenant.slug}/members/", headers={"authorization": f"Bearer cl_{tenant.slug}-bouncer-token"}
            )
            seen = {row["email"] for row in response.json()["results"]} if response.status_code == 200 else set()
            if seen != emails:
                failures.append(f"web {tenant.slug}: {response.status_code} {sorted(seen ^ emails)[:3]}")

    def worker(tenant, emails):
        start.wait(timeout=30)
        for _ in range(ROUNDS):
            with transaction.atomic(), organization_context(tenant.organization):
                seen = set(Membership.objects.values_list("user__email", flat=True))
                with connection.cursor() as cursor:  # and beneath the scope, what the database itself admits
                    cursor.execute("SELECT DISTINCT organization_id FROM tenancy_membership")
                    organizations = {row[0] for row in cursor.fetchall()}
            if seen != emails or organizations != {tenant.organization.pk}:
                failures.append(f"worker {tenant.slug}: {sorted(seen ^ emails)[:3]} {organizations}")

    def run(target, *args):
        try:
            target(*args)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(f"{target.__name__}: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job, *pair)) for pair in two for job in (web, worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with connection.cursor() as cursor:  # nothing is left set on the connections the pool hands out
        cursor.execute("SELECT current_setting('app.organization_id', true)")
        assert cursor.fetchone()[0] in ("", None)
