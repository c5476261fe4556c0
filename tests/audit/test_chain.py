"""The per-organisation hash chain: how services append to it, how tampering is found, and concurrent writers."""

import threading
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from qms.accounts.services import invitation_create
from qms.audit.chain import event_hash
from qms.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from qms.audit.selectors import audit_chain_verify
from qms.audit.services import audit_record
from qms.tenancy.context import organization_context
from qms.tenancy.models import Membership
from qms.tenancy.services import membership_change_role, organization_update
from tests.audit.tampering import delete_event, tamper
from tests.conftest import IS_POSTGRES, as_owner
from tests.factories import AuditEventFactory, OrganizationFactory, UserFactory


def _events(tenant):
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization).order_by("seq"))


def _append(tenant, count):
    return [
        AuditEventFactory(organization=tenant.organization, actor=tenant.manager, object_repr=f"Record {n}")
        for n in range(1, count + 1)
    ]


def test_services_append_linked_events_numbered_from_one(alpha, bravo):
    with alpha.context():
        organization_update(organization=alpha.organization, actor=alpha.owner, name="Alpha Instruments Ltd")
        manager = Membership.objects.get(organization=alpha.organization, user=alpha.manager)
        membership_change_role(membership=manager, actor=alpha.owner, role="staff")
        invitation_create(organization=alpha.organization, actor=alpha.owner, email="new@example.com", role="staff")
    events = _events(alpha)
    assert [(e.seq, e.action) for e in events] == [
        (1, "organization.update"),
        (2, "membership.change_role"),
        (3, "invitation.create"),
    ]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    for event in events:
        assert event.hash == event_hash(event.prev_hash, event)
        assert event.actor == alpha.owner
        assert event.actor_label == "owner@alpha.test"
    assert events[0].changes == {"name": ["Alpha Instruments", "Alpha Instruments Ltd"]}
    with alpha.context():
        head = AuditChainHead.objects.get(organization=alpha.organization)
    assert (head.seq, head.hash) == (3, events[-1].hash)
    assert audit_chain_verify(organization=alpha.organization) == (3, None)


def test_each_organisation_has_its_own_chain(alpha, bravo):
    _append(alpha, 3)
    _append(bravo, 2)
    assert [e.seq for e in _events(alpha)] == [1, 2, 3]
    assert [e.seq for e in _events(bravo)] == [1, 2]
    assert _events(bravo)[0].prev_hash == GENESIS_HASH
    assert audit_chain_verify(organization=alpha.organization) == (3, None)
    assert audit_chain_verify(organization=bravo.organization) == (2, None)


def test_an_event_without_a_person_is_recorded_as_the_system(alpha):
    with alpha.context():
        event = audit_record(organization=alpha.organization, actor=None, action="job.run", object_type="tests.job")
    assert (event.actor, event.actor_label) == (None, "system")


def test_values_are_hashed_as_the_database_returns_them(alpha):
    when = timezone.now() + timedelta(days=3)
    with alpha.context():
        audit_record(
            organization=alpha.organization,
            actor=alpha.owner,
            action="thing.update",
            object_type="tests.thing",
            changes={"due": [None, when], "score": [1.5, 2], "note": ["", "naïve ☃"]},
        )
    assert audit_chain_verify(organization=alpha.organization) == (1, None)


def test_an_empty_chain_verifies(alpha):
    assert audit_chain_verify(organization=alpha.organization) == (0, None)


def test_an_edited_action_is_found_at_its_position(alpha):
    _append(alpha, 5)
    tamper(alpha, 3, action="thing.nothing_happened")
    count, found = audit_chain_verify(organization=alpha.organization)
    assert (found.seq, found.position) == (3, 3)
    assert "altered" in found.reason


def test_edited_changes_are_found_at_their_position(alpha):
    _append(alpha, 5)
    tamper(alpha, 2, changes={"status": ["open", "open"]})
    _, found = audit_chain_verify(organization=alpha.organization)
    assert (found.seq, found.position) == (2, 2)
    assert "altered" in found.reason


def test_a_reassigned_actor_is_found(alpha):
    _append(alpha, 4)
    tamper(alpha, 4, actor=alpha.owner, actor_label="owner@alpha.test")
    _, found = audit_chain_verify(organization=alpha.organization)
    assert (found.seq, found.position) == (4, 4)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(alpha):
    _append(alpha, 5)
    forged = _events(alpha)[2]
    forged.action = "thing.nothing_happened"
    tamper(alpha, 3, action=forged.action, hash=event_hash(forged.prev_hash, forged))
    _, found = audit_chain_verify(organization=alpha.organization)
    assert (found.seq, found.position) == (4, 4)
    assert "previous-hash link" in found.reason


def test_a_deleted_event_in_the_middle_is_found_as_a_gap(alpha):
    _append(alpha, 5)
    delete_event(alpha, 3)
    count, found = audit_chain_verify(organization=alpha.organization)
    assert (found.seq, found.position) == (4, 3)
    assert "expected sequence number 3, found 4" in found.reason


def test_deleted_events_at_the_end_are_found(alpha):
    _append(alpha, 5)
    delete_event(alpha, 5)
    delete_event(alpha, 4)
    count, found = audit_chain_verify(organization=alpha.organization)
    assert count == 3
    assert found is not None
    assert (found.seq, found.position) == (4, 4)
    assert "events 4 to 5 are missing from the end" in found.reason


def test_a_rewritten_last_event_no_longer_matches_the_chain_head(alpha):
    _append(alpha, 3)
    forged = _events(alpha)[2]
    forged.action = "thing.nothing_happened"
    tamper(alpha, 3, action=forged.action, hash=event_hash(forged.prev_hash, forged))
    count, found = audit_chain_verify(organization=alpha.organization)
    assert count == 3
    assert (found.seq, found.position) == (3, 3)
    assert "does not match the chain head" in found.reason


def test_tampering_with_one_organisation_leaves_the_others_intact(alpha, bravo):
    _append(alpha, 3)
    _append(bravo, 3)
    tamper(alpha, 1, object_repr="Something else")
    assert audit_chain_verify(organization=alpha.organization)[1] is not None
    assert audit_chain_verify(organization=bravo.organization) == (3, None)


postgres_only = pytest.mark.skipif(not IS_POSTGRES, reason="the append-only trigger and privileges are PostgreSQL's")


@postgres_only
@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditevent SET action = 'thing.nothing_happened'", "DELETE FROM audit_auditevent"]
)
def test_the_database_refuses_to_change_audit_events_even_for_the_owner(alpha, statement):
    _append(alpha, 3)
    with as_owner(), pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), alpha.context():
        with connection.cursor() as cursor:
            cursor.execute(statement)
    assert audit_chain_verify(organization=alpha.organization) == (3, None)


@postgres_only
@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditevent SET action = 'thing.nothing_happened'", "DELETE FROM audit_auditevent"]
)
def test_the_application_role_may_not_change_audit_events_at_all(alpha, statement):
    _append(alpha, 3)
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), alpha.context():
        with connection.cursor() as cursor:
            cursor.execute(statement)
    assert audit_chain_verify(organization=alpha.organization) == (3, None)


@postgres_only
@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditchainhead"])
def test_truncate_is_refused_even_for_the_owner(alpha, table):
    _append(alpha, 3)
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(current_user, %s, 'TRUNCATE')", [table])
        assert cursor.fetchone()[0] is False, "the privilege is revoked from the owner too"
    with as_owner(), pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # this test's own inserts' checks, before TRUNCATE
            cursor.execute(f"TRUNCATE {table} CASCADE")
    with as_owner(), pytest.raises(DatabaseError, match="refused"), transaction.atomic():
        with connection.cursor() as cursor:  # and should someone grant it back, the trigger still refuses
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"GRANT TRUNCATE ON {table} TO current_user")
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert audit_chain_verify(organization=alpha.organization) == (3, None)


@postgres_only
def test_the_application_role_may_not_move_the_chain_head(alpha):
    _append(alpha, 3)
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), alpha.context():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditchainhead SET seq = 0, hash = %s", [GENESIS_HASH])
    assert audit_chain_verify(organization=alpha.organization) == (3, None)


@postgres_only
def test_deleting_the_last_events_and_setting_the_head_back_is_still_found(alpha):
    _append(alpha, 6)
    for seq in (6, 5, 4):
        delete_event(alpha, seq)
    third = _events(alpha)[-1]
    with as_owner(), pytest.raises(DatabaseError, match="moves only with a new event"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditchainhead SET seq = 3, hash = %s WHERE organization_id = %s",
                [third.hash, alpha.organization.pk],
            )
    count, found = audit_chain_verify(organization=alpha.organization)
    assert count == 3 and "events 4 to 6 are missing from the end" in found.reason


@postgres_only
def test_an_event_that_does_not_extend_the_chain_is_refused(alpha):
    [first, second] = _append(alpha, 2)
    with pytest.raises(DatabaseError, match="does not extend the chain"), transaction.atomic(), alpha.context():
        with connection.cursor() as cursor:  # a second event 2, linked to event 1: a fork
            cursor.execute(
                "INSERT INTO audit_auditevent (organization_id, seq, created_at, actor_label, action, object_type,"
                " object_id, object_repr, changes, prev_hash, hash) VALUES (%s, 3, now(), 'x', 'thing.forged',"
                " 'tests.thing', '1', '', '{}', %s, %s)",
                [alpha.organization.pk, first.hash, "f" * 64],
            )
    assert audit_chain_verify(organization=alpha.organization) == (2, None)


@postgres_only
def test_the_orm_cannot_edit_an_event_either(alpha):
    [event] = _append(alpha, 1)
    event.action = "thing.nothing_happened"
    with pytest.raises(DatabaseError), transaction.atomic(), alpha.context():
        event.save()
    assert _events(alpha)[0].action == "thing.update"


def test_concurrent_writers_keep_one_unbroken_chain(transactional_db):
    organization = OrganizationFactory(slug="busy", name="Busy Organisation")
    actor = UserFactory(email="writer@busy.test")
    threads, per_thread = 8, 10
    start = threading.Barrier(threads)
    errors = []

    def write(worker):
        try:
            start.wait(timeout=30)
            for n in range(per_thread):
                with transaction.atomic(), organization_context(organization):
                    audit_record(
                        organization=organization,
                        actor=actor,
                        action="thing.touch",
                        object_type="tests.thing",
                        object_id=f"{worker}-{n}",
                    )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=write, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    with transaction.atomic(), organization_context(organization):
        rows = list(
            AuditEvent.objects.filter(organization=organization).order_by("seq").values_list("seq", "object_id")
        )
        head = AuditChainHead.objects.get(organization=organization)
    total = threads * per_thread
    assert [seq for seq, _ in rows] == list(range(1, total + 1))
    assert sorted(object_id for _, object_id in rows) == sorted(
        f"{w}-{n}" for w in range(threads) for n in range(per_thread)
    )
    assert head.seq == total
    assert audit_chain_verify(organization=organization) == (total, None)
