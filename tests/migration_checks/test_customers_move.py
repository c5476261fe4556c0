"""A database filled at today's head migrates to the customers/ and qms/links/ layout and loses nothing.

Today's head: feedback at 0003, no customers/ or qms/links/, the other apps at their leaves. The check works on a
scratch database of its own, never the suite's test database (PostgreSQL: closeloop_migration_check, created and
dropped by the owner role, which has CREATEDB; SQLite: a file). A subprocess migrates it to today's head; it gets
the row-level security the post-migrate hook gave the four tables of models that no longer exist (today's hook
knows only today's models), raw rows with explicit, scattered ids and a valid audit chain, and is photographed;
then `manage.py migrate` runs and it is photographed again.
"""

import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings

from customers.models import Contact, Customer, ImportJob
from qms.audit.chain import event_hash
from qms.audit.models import GENESIS_HASH
from qms.links.models import Link
from qms.tenancy.context import enter_on
from qms.tenancy.rls import POLICY
from tests.conftest import APP_ROLE, IS_POSTGRES

SCRATCH = "closeloop_migration_check"
OLD_HEAD = {  # None: the app did not exist yet
    "tenancy": "0003_alter_membership_organization_and_more",
    "accounts": "0003_alter_apitoken_organization_and_more",
    "audit": "0004_alter_auditevent_organization_and_more",
    "outbox": "0002_alter_outboxmessage_organization",
    "feedback": "0003_alter_attachment_organization_and_more",
    "customers": None,
    "links": None,
    "notifications": None,
    "reports": None,
    "surveys": None,
}
NEW_MIGRATIONS = {("customers", "0001_initial"), ("customers", "0002_tables_renamed_in_place"),
                  ("feedback", "0004_customers_move_to_their_own_app"), ("links", "0001_initial"),
                  ("feedback", "0005_search_document_reads_customers_table"),
                  ("feedback", "0006_links_move_to_the_shared_table")}  # fmt: skip
MOVED = {"feedback_customer": "customers_customer", "feedback_contact": "customers_contact",
         "feedback_importjob": "customers_importjob"}  # fmt: skip
OLD_LINKS, NEW_LINKS, ITEMS = "feedback_feedbacklink", "links_link", "feedback_feedbackitem"
KEPT = [ITEMS, "tenancy_membership", "audit_auditevent", "audit_personaldatakey", "audit_auditchainhead"]
ITEM = "feedback.feedbackitem"
ALPHA, BRAVO = 7, 11

# `manage.py migrate` takes one app, and migrating one app of an empty database trips the RLS hook (a table of
# today's models without its organisation column yet, no audit_auditevent to REVOKE on). So today's head is reached
# as the old code's full migrate reached it: one plan, then the post-migrate signal with that plan's models.
OLD_HEAD_SCRIPT = """
import json, sys
import django
django.setup()
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
heads, executor = json.loads(sys.argv[1]), MigrationExecutor(connection)
targets = [(app, heads.get(app, leaf)) for app, leaf in executor.loader.graph.leaf_nodes() if heads.get(app, leaf)]
plan = executor.migration_plan(targets)
state = executor.migrate(targets, plan=plan)
emit_post_migrate_signal(0, False, connection.alias, apps=state.apps, plan=plan)
"""


def postgres_only(test):
    reason = "row-level security and the search triggers are PostgreSQL's"
    return pytest.mark.postgres(pytest.mark.skipif(not IS_POSTGRES, reason=reason)(test))


def _server(dbname, **extra):
    db = settings.DATABASES["default"]
    return {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"],
            "password": db["PASSWORD"] or None, "dbname": dbname, **extra}  # fmt: skip


def _on_the_server(sql):
    with closing(psycopg2.connect(**_server("postgres"))) as conn:
        conn.autocommit = True
        conn.cursor().execute(sql)


class Scratch:
    def __init__(self, tmp_path_factory):
        if IS_POSTGRES:
            _on_the_server(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
            _on_the_server(f"CREATE DATABASE {SCRATCH} OWNER {settings.DATABASES['default']['USER']}")
            server = _server(SCRATCH)
            password = f":{quote(server['password'])}" if server["password"] else ""
            where = f"{server['host'] or '127.0.0.1'}:{server['port'] or 5432}"
            self.url = f"postgres://{quote(server['user'])}{password}@{where}/{SCRATCH}"
        else:
            self.path = tmp_path_factory.mktemp("migration-check") / "scratch.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def drop(self):
        if IS_POSTGRES:
            _on_the_server(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        else:
            self.path.unlink(missing_ok=True)

    def connect(self, *, app_role=False):
        """The owner, reading every organisation (RLS is forced on it too), or the application role."""
        if not IS_POSTGRES:
            conn = sqlite3.connect(self.path, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            return conn
        conn = psycopg2.connect(**_server(SCRATCH, options="-c TimeZone=UTC"))
        conn.autocommit = True
        _sql(conn, f"SET ROLE {APP_ROLE}" if app_role else "SELECT set_config('app.cross_tenant', 'on', false)")
        return conn

    def run(self, *args):
        env = {**os.environ, "DATABASE_URL": self.url, "DATABASE_APP_ROLE": APP_ROLE if IS_POSTGRES else "",
               "CONN_MAX_AGE": "0", "DJANGO_SETTINGS_MODULE": "qms.settings"}  # fmt: skip
        return subprocess.run(
            [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300
        )


def _sql(conn, sql, params=None):
    cursor = conn.cursor()
    if IS_POSTGRES:
        cursor.execute(sql, params)
    else:
        cursor.execute(sql.replace("%s", "?"), params or ())
    return cursor


def _rows(conn, sql, params=None):
    cursor = _sql(conn, sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _insert(conn, table, row, returning="RETURNING id"):
    sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))}) {returning}"
    return _rows(conn, sql, list(row.values()))[0]


def _at(day, hour=9):
    return f"2026-03-{day:02d} {hour:02d}:{day:02d}:00"


CUSTOMER = {"kind": "organisation", "segment": "", "region": "", "external_ref": "", "notes": "",
            "created_at": _at(2), "updated_at": _at(3), "archived_at": None, "account_owner_id": None}  # fmt: skip


def _table(name, columns, *rows, **defaults):
    return name, [{**defaults, **dict(zip(columns.split(), row, strict=True))} for row in rows]


def _item(id, org, reference, customer, contact, text, **extra):
    return {"id": id, "organization_id": org, "reference": reference, "customer_id": customer, "contact_id": contact,
            "text": text, "channel": "email", "kind": "concern", "status": "new", "submitter_name": "",
            "submitter_email": "", "product": "", "received_on": "2026-03-05", "sentiment": "", "closing_note": "",
            "closed_at": None, "converted_to": "", "source_ip_hash": "", "created_at": _at(5), "updated_at": _at(6),
            "assignee_id": None, "created_by_id": None, **extra}  # fmt: skip


def _audit_rows():
    """Events naming records by their object types of today, hash-chained per organisation, and the chain heads."""
    written = [
        (3001, ALPHA, 101, "customer.create", "feedback.customer", "301", "Acme Optics", {"name": [None, "Acme"]}),
        (3002, BRAVO, 201, "customer.create", "feedback.customer", "401", "Quill Maritime", {"segment": ["", "B"]}),
        (3004, ALPHA, 101, "contact.create", "feedback.contact", "501", "Ada Lovelace",
         {"email": [None, {"sealed": "feedback.contact:501", "token": "gAAAAABsealed"}]}),
        (3007, ALPHA, 102, "feedback.link", ITEM, "701", "FB-2026-0001", {"link": [None, "Complaint C-2026-0001"]}),
    ]  # fmt: skip
    events, heads = [], {}
    for n, (id, org, actor, action, object_type, object_id, label, changes) in enumerate(written):
        seq, prev = heads.get(org, (0, GENESIS_HASH))
        event = SimpleNamespace(organization_id=org, seq=seq + 1, created_at=datetime(2026, 3, 2, 10, n, tzinfo=UTC),
                                actor_id=actor, actor_label=f"user-{actor}", action=action, object_type=object_type,
                                object_id=object_id, object_repr=label, changes=changes)  # fmt: skip
        heads[org] = (seq + 1, event_hash(prev, event))
        events.append({**vars(event), "id": id, "created_at": f"{event.created_at:%Y-%m-%d %H:%M:%S}",
                       "changes": json.dumps(changes), "prev_hash": prev, "hash": heads[org][1]})  # fmt: skip
    return events, [{"id": 50 + org, "organization_id": org, "seq": s, "hash": h} for org, (s, h) in heads.items()]


def _todays_rows():
    events, chain_heads = _audit_rows()
    user = {"password": "!", "is_superuser": False, "is_staff": False, "is_active": True, "date_joined": _at(1)}
    contact = {"phone": "", "consent_changed_at": None, "created_at": _at(2), "updated_at": _at(4), "erased_at": None}
    bad_email = json.dumps([{"row": 3, "column": "email", "message": "Enter a valid email address."}])
    return [
        _table("tenancy_organization", "id name slug", (ALPHA, "Alpha Instruments", "alpha"),
               (BRAVO, "Bravo Holdings", "bravo"), logo="", created_at=_at(1)),
        _table("accounts_user", "id email full_name", (101, "owner@alpha.test", "Olive Owner"),
               (102, "staff@alpha.test", "Sam Staff"), (201, "owner@bravo.test", "Bea Bravo"), **user),
        _table("tenancy_membership", "id organization_id user_id role", (1001, ALPHA, 101, "owner"),
               (1002, ALPHA, 102, "staff"), (2001, BRAVO, 201, "owner"), created_at=_at(1)),
        _table("feedback_customer", "id organization_id name kind segment external_ref notes account_owner_id "
               "archived_at", (301, ALPHA, "Acme Optics", "organisation", "OEM", "ACM-1", "Key account", 101, None),
               (302, ALPHA, "Zenith Labs", "person", "", "", "", None, _at(20)),
               (401, BRAVO, "Quill Maritime", "organisation", "Marine", "QM-7", "", 201, None),
               **{**CUSTOMER, "region": "North"}),
        _table("feedback_contact", "id organization_id customer_id name email preferred_language consent",
               (501, ALPHA, 301, "Ada Lovelace", "ada@acme.test", "en", "granted"),
               (502, ALPHA, 302, "Grace Hopper", "", "fr", "unknown"),
               (601, BRAVO, 401, "Mary Jackson", "mary@quill.test", "en", "opted_out"), **contact),
        (ITEMS, [
            _item(701, ALPHA, "FB-2026-0001", 301, 501, "The lens arrived scratched", kind="complaint",
                  status="closed", product="Lens L2", converted_to="C-2026-0001", assignee_id=102,
                  created_by_id=101, sentiment="negative", closed_at=_at(7)),
            _item(702, ALPHA, "FB-2026-0002", 302, 502, "Please ship in recyclable packaging", kind="suggestion"),
            _item(703, ALPHA, "FB-2026-0003", None, None, "Friendly support", channel="web_form", status="closed",
                  submitter_name="Walk-in visitor", submitter_email="visitor@example.test", closed_at=_at(9),
                  closing_note="Thanked", source_ip_hash="ab" * 32),
            _item(801, BRAVO, "FB-2026-0001", 401, 601, "Hull sensors delivered late", channel="meeting"),
            _item(802, BRAVO, "FB-2026-0002", 401, None, "Second late delivery", created_by_id=201)]),
        _table(OLD_LINKS, "id organization_id feedback_id target_type target_id target_label created_by_id created_at",
               (901, ALPHA, 701, "feedback", "702", "FB-2026-0002", 101, _at(6)),
               (902, ALPHA, 701, "complaint", "C-2026-0001", "Complaint C-2026-0001", 102, _at(7)),
               (951, BRAVO, 801, "feedback", "802", "FB-2026-0002", 201, _at(8))),
        _table("feedback_importjob", "id organization_id created_by_id file original_name status mode total_rows "
               "processed_rows valid_rows error_rows errors summary message",
               (1201, ALPHA, 101, "imports/customers.csv", "customers.csv", "done", "valid_only", 3, 3, 2, 1,
                bad_email, json.dumps({"customers_created": 2}), ""),
               (1207, BRAVO, 201, "imports/quill.xlsx", "quill.xlsx", "failed", "all", 0, 0, 0, 0, "[]", "{}",
                "No broker"), created_at=_at(2), finished_at=_at(2, 10)),
        _table("audit_personaldatakey", "id organization_id subject key",
               (4001, ALPHA, "feedback.contact:501", "a" * 43 + "="), (4009, BRAVO, f"{ITEM}:801", "c" * 43 + "="),
               created_at=_at(5)),
        ("audit_auditevent", events),
        ("audit_auditchainhead", chain_heads),
    ]  # fmt: skip


# The tenant policy of the old head, before the organisation context was sealed (qms/tenancy/rls.py).
OLD_PREDICATE = (
    "organization_id = NULLIF(current_setting('app.organization_id', true), '')::bigint "
    "OR current_setting('app.cross_tenant', true) = 'on'"
)


def _protect_as_the_old_hook_did(conn):
    for table in [*MOVED, OLD_LINKS]:
        _sql(conn, f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        _sql(conn, f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        _sql(conn, f"CREATE POLICY {POLICY} ON {table} USING ({OLD_PREDICATE}) WITH CHECK ({OLD_PREDICATE})")


def _fill(conn):
    for table, rows in _todays_rows():
        for row in rows:
            _insert(conn, table, row)
        if IS_POSTGRES:  # as if the application had written them: the sequence stands at the highest id
            _sql(conn, f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def _catalog(conn, tables):
    """Row-level security, policies and triggers of the tables; the functions that name one of the old tables."""
    names = [list(tables)]
    flags = _rows(conn, "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(%s)",
                  names)  # fmt: skip
    policies = _rows(conn, "SELECT * FROM pg_policies WHERE tablename = ANY(%s) ORDER BY policyname", names)
    triggers = _rows(
        conn,
        "SELECT c.relname, t.tgname, p.proname, pg_get_triggerdef(t.oid) AS definition FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE NOT t.tgisinternal AND c.relname = ANY(%s) ORDER BY t.tgname",
        names,
    )
    functions = _sql(
        conn,
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
        r"AND p.prosrc ~ '\mfeedback_(customer|contact|importjob|feedbacklink)\M' ORDER BY 1",
    )
    return {
        "rls": {row["relname"]: (row["relrowsecurity"], row["relforcerowsecurity"]) for row in flags},
        "policies": {t: [(p["policyname"], p["permissive"], p["cmd"], p["qual"], p["with_check"])
                         for p in policies if p["tablename"] == t] for t in tables},
        "triggers": {t: [(r["tgname"], r["proname"], re.sub(rf" ON (public\.)?{t} ", " ON <table> ", r["definition"]))
                         for r in triggers if r["relname"] == t] for t in tables},
        "functions": [row[0] for row in functions],
    }  # fmt: skip


def _photograph(conn, tables, links):
    listing = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    if not IS_POSTGRES:
        listing = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return SimpleNamespace(
        rows={table: _rows(conn, f"SELECT * FROM {table} ORDER BY id") for table in [*tables, links, *KEPT]},
        tables={row[0] for row in _sql(conn, listing)},
        applied={(row[0], row[1]) for row in _sql(conn, "SELECT app, name FROM django_migrations")},
        catalog=_catalog(conn, [*tables, links, ITEMS]) if IS_POSTGRES else None,
    )


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    scratch = Scratch(tmp_path_factory)
    try:
        done = scratch.run("-c", OLD_HEAD_SCRIPT, json.dumps(OLD_HEAD))
        assert done.returncode == 0, f"migrating to today's head failed:\n{done.stdout}\n{done.stderr}"
        with closing(scratch.connect()) as conn:
            if IS_POSTGRES:
                _protect_as_the_old_hook_did(conn)
            _fill(conn)
            before = _photograph(conn, list(MOVED), OLD_LINKS)
        done = scratch.run("manage.py", "migrate", "--noinput")
        assert done.returncode == 0, f"manage.py migrate failed:\n{done.stdout}\n{done.stderr}"
        with closing(scratch.connect()) as conn:
            after = _photograph(conn, list(MOVED.values()), NEW_LINKS)
        check, verify = scratch.run("manage.py", "migrate", "--check"), scratch.run("manage.py", "verify_audit")
        yield SimpleNamespace(scratch=scratch, before=before, after=after, check=check, verify=verify)
    finally:
        scratch.drop()


def test_the_scratch_database_starts_at_todays_head_with_the_old_tables_filled(moved):
    for app, leaf in OLD_HEAD.items():
        applied = {name for label, name in moved.before.applied if label == app}
        assert (max(applied) if applied else None) == leaf, app
    assert {*MOVED, OLD_LINKS} <= moved.before.tables
    assert not {*MOVED.values(), NEW_LINKS} & moved.before.tables
    assert all(moved.before.rows.values()), "every photographed table holds rows"


def test_customers_contacts_and_import_jobs_keep_every_row_and_id_in_their_renamed_tables(moved):
    for old, new in MOVED.items():
        columns = set(moved.before.rows[old][0])  # later migrations add columns; the kept ones keep their values
        assert [{c: row[c] for c in columns} for row in moved.after.rows[new]] == moved.before.rows[old], new
    assert {row["consent_source"] for row in moved.after.rows["customers_contact"]} == {""}
    assert [row["id"] for row in moved.after.rows["customers_customer"]] == [301, 302, 401]
    assert [row["id"] for row in moved.after.rows["customers_contact"]] == [501, 502, 601]
    assert [row["id"] for row in moved.after.rows["customers_importjob"]] == [1201, 1207]
    assert not set(MOVED) & moved.after.tables


def _foreign_keys(conn, table):
    if not IS_POSTGRES:
        return {row[3]: row[2] for row in _sql(conn, f"PRAGMA foreign_key_list({table})")}
    sql = (
        "SELECT a.attname, c.confrelid::regclass::text FROM pg_constraint c JOIN pg_attribute a "
        "ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) WHERE c.contype = 'f' AND c.conrelid = %s::regclass"
    )
    return dict(_sql(conn, sql, [table]).fetchall())


def _but_documents(rows: list[dict]) -> list[dict]:
    """The rows without their search document, which a later migration rebuilds (0007 adds the contact's name)."""
    return [{name: value for name, value in row.items() if name != "search_document"} for row in rows]


def test_feedback_items_still_point_at_the_same_customers_and_contacts(moved):
    before = _but_documents(moved.before.rows[ITEMS])
    columns = set(before[0])  # later migrations add columns (the text's language); the kept ones keep their values
    assert [{c: row[c] for c in columns} for row in _but_documents(moved.after.rows[ITEMS])] == before
    customers = {row["id"]: row["name"] for row in moved.after.rows["customers_customer"]}
    contacts = {row["id"]: row["name"] for row in moved.after.rows["customers_contact"]}
    resolved = {(item["organization_id"], item["reference"]): (customers.get(item["customer_id"]),
                                                                contacts.get(item["contact_id"]))
                for item in moved.after.rows[ITEMS]}  # fmt: skip
    assert resolved == {
        (ALPHA, "FB-2026-0001"): ("Acme Optics", "Ada Lovelace"),
        (ALPHA, "FB-2026-0002"): ("Zenith Labs", "Grace Hopper"),
        (ALPHA, "FB-2026-0003"): (None, None),
        (BRAVO, "FB-2026-0001"): ("Quill Maritime", "Mary Jackson"),
        (BRAVO, "FB-2026-0002"): ("Quill Maritime", None),
    }
    with closing(moved.scratch.connect()) as conn:
        item_keys, contact_keys = _foreign_keys(conn, ITEMS), _foreign_keys(conn, "customers_contact")
        broken = [] if IS_POSTGRES else _sql(conn, "PRAGMA foreign_key_check").fetchall()
    assert (item_keys["customer_id"], item_keys["contact_id"]) == ("customers_customer", "customers_contact")
    assert (contact_keys["customer_id"], broken) == ("customers_customer", [])


def test_every_feedback_link_moves_to_the_shared_link_table_with_its_id(moved):
    created_at = {row["id"]: row["created_at"] for row in moved.before.rows[OLD_LINKS]}
    expected = [
        {"id": 901, "organization_id": ALPHA, "from_type": ITEM, "from_id": "701", "to_type": ITEM, "to_id": "702",
         "to_label": "", "created_by_id": 101},
        {"id": 902, "organization_id": ALPHA, "from_type": ITEM, "from_id": "701", "to_type": "complaint",
         "to_id": "C-2026-0001", "to_label": "Complaint C-2026-0001", "created_by_id": 102},
        {"id": 951, "organization_id": BRAVO, "from_type": ITEM, "from_id": "801", "to_type": ITEM, "to_id": "802",
         "to_label": "", "created_by_id": 201},
    ]  # fmt: skip
    assert moved.after.rows[NEW_LINKS] == [{**link, "created_at": created_at[link["id"]]} for link in expected]
    assert OLD_LINKS not in moved.after.tables


def test_new_links_and_customers_take_the_id_after_the_highest_kept_one(moved):
    link = {"organization_id": ALPHA, "from_type": ITEM, "from_id": "703", "to_type": ITEM, "to_id": "701",
            "to_label": "", "created_by_id": 102, "created_at": _at(25)}  # fmt: skip
    customer = {**CUSTOMER, "organization_id": ALPHA, "name": "Nova Glass"}
    with closing(moved.scratch.connect()) as conn:
        ids = _insert(conn, NEW_LINKS, link)["id"], _insert(conn, "customers_customer", customer)["id"]
    assert ids == (952, 402)


def test_audit_events_keys_and_chain_heads_are_untouched_and_every_chain_verifies(moved):
    for table in KEPT[1:]:
        assert moved.after.rows[table] == moved.before.rows[table], table
    assert moved.verify.returncode == 0, moved.verify.stdout + moved.verify.stderr
    assert moved.verify.stdout.splitlines() == ["alpha: intact (3 events)", "bravo: intact (1 events)"]


def test_no_migration_is_left_unapplied(moved):
    assert moved.check.returncode == 0, moved.check.stdout + moved.check.stderr
    assert moved.after.applied >= NEW_MIGRATIONS
    assert not NEW_MIGRATIONS & moved.before.applied


def _index_columns(conn, table):
    if IS_POSTGRES:
        pairs = _sql(
            conn,
            "SELECT i.relname, a.attname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, position) "
            "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum "
            "WHERE x.indrelid = %s::regclass ORDER BY i.relname, k.position",
            [table],
        ).fetchall()
    else:
        indexes = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
        names = [row[0] for row in _sql(conn, indexes, [table])]
        pairs = [(name, row[2]) for name in names for row in _sql(conn, f'PRAGMA index_info("{name}")')]
    columns = {}
    for name, column in pairs:
        columns.setdefault(name, []).append(column)
    return columns


def test_the_moved_tables_carry_the_indexes_their_models_declare_on_the_right_columns(moved):
    with closing(moved.scratch.connect()) as conn:
        for model in (Customer, Contact, ImportJob, Link):
            declared = {index.name: [model._meta.get_field(f).column for f in index.fields]
                        for index in model._meta.indexes}  # fmt: skip
            found = _index_columns(conn, model._meta.db_table)
            assert {name: found.get(name) for name in declared} == declared, model._meta.label


@postgres_only
def test_the_moved_tables_keep_row_level_security_forced_with_the_tenant_policy(moved):
    before, after = moved.before.catalog, moved.after.catalog
    policy = before["policies"]["feedback_customer"]
    assert [(name, permissive, cmd) for name, permissive, cmd, *_ in policy] == [(POLICY, "PERMISSIVE", "ALL")]
    for old in [*MOVED, OLD_LINKS]:
        assert (before["rls"][old], before["policies"][old]) == ((True, True), policy), old
    current = after["policies"][MOVED["feedback_customer"]]  # today's policy (the sealed context's)
    assert [(name, permissive, cmd) for name, permissive, cmd, *_ in current] == [(POLICY, "PERMISSIVE", "ALL")]
    assert "app_organization_id()" in current[0][3]
    for new in [*MOVED.values(), NEW_LINKS]:
        assert (after["rls"][new], after["policies"][new]) == ((True, True), current), new
    with closing(moved.scratch.connect(app_role=True)) as conn:
        conn.autocommit = False  # each organisation in a transaction of its own, which its sealed context is for
        for table in [*MOVED.values(), NEW_LINKS]:
            seen = {}
            for org in ("", ALPHA, BRAVO):
                cursor = conn.cursor()
                if org:
                    enter_on(cursor, org)
                seen[org] = {row[0] for row in _sql(conn, f"SELECT DISTINCT organization_id FROM {table}")}
                conn.rollback()
            assert seen == {"": set(), ALPHA: {ALPHA}, BRAVO: {BRAVO}}, table


@postgres_only
def test_the_search_triggers_stay_on_their_tables_and_no_function_names_an_old_table(moved):
    before, after = moved.before.catalog, moved.after.catalog
    assert [t[0] for t in after["triggers"]["customers_customer"]] == ["feedback_customer_search_document"]
    assert [t[0] for t in after["triggers"][ITEMS]] == ["feedback_item_search_document"]
    assert after["triggers"]["customers_customer"] == before["triggers"]["feedback_customer"]
    assert after["triggers"][ITEMS] == before["triggers"][ITEMS]
    assert before["functions"] == ["feedback_item_search_document"]
    assert after["functions"] == []


@postgres_only
def test_renaming_a_customer_or_adding_an_item_rebuilds_the_search_documents(moved):
    documents = {row["id"]: row["search_document"] for row in moved.before.rows[ITEMS]}
    assert "'acm'" in documents[701], "before the move, an item's document held its customer's name"
    matching = "SELECT id FROM feedback_feedbackitem WHERE search_document @@ plainto_tsquery('english', %s)"
    with closing(moved.scratch.connect()) as conn:
        _sql(conn, "UPDATE customers_customer SET name = 'Heliotrope Optics' WHERE id = 301")
        renamed, stale = _sql(conn, matching, ["heliotrope"]).fetchall(), _sql(conn, matching, ["acme"]).fetchall()
        item = {**_item(None, ALPHA, "FB-2026-0009", 302, None, "Labels fade in sunlight"), "id": 1709}
        added = _insert(conn, ITEMS, item, "RETURNING search_document @@ plainto_tsquery('english', 'zenith') AS hit")
    assert (renamed, stale, added) == ([(701,)], [], {"hit": True})
