"""Signed checkpoints: the chain's head signed with a key outside the database, emailed to owners, downloadable,
and checked by verify_audit, so events deleted together with the chain head and the checkpoint rows are found."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from qms.audit.checkpoints import audit_checkpoint_create, checkpoint_from_json, latest_checkpoint
from qms.audit.models import AuditCheckpoint
from qms.audit.selectors import audit_chain_verify
from qms.audit.tasks import audit_checkpoints
from qms.outbox.models import OutboxMessage
from tests.audit.tampering import delete_event
from tests.conftest import IS_POSTGRES, as_owner
from tests.factories import AuditEventFactory


def _append(tenant, count):
    return AuditEventFactory.create_batch(count, organization=tenant.organization, actor=tenant.manager)


def _checkpoint(tenant):
    with tenant.context():
        return audit_checkpoint_create(organization=tenant.organization)


def _exported(tenant):
    with tenant.context():
        return latest_checkpoint(organization=tenant.organization)


def test_a_checkpoint_signs_the_head_and_reaches_every_owner_by_email(alpha):
    events = _append(alpha, 3)
    row = _checkpoint(alpha)
    assert (row.seq, row.hash) == (3, events[-1].hash)
    checkpoint = _exported(alpha)
    assert checkpoint.is_signed()
    with alpha.context():
        [mail] = OutboxMessage.objects.filter(organization=alpha.organization, purpose="audit-checkpoint")
    assert mail.to_email == "owner@alpha.test"
    assert checkpoint_from_json(mail.body_text[mail.body_text.index("{") : mail.body_text.index("}") + 1]) == checkpoint
    assert _checkpoint(alpha) is None, "nothing appended since: no new checkpoint"
    assert audit_chain_verify(organization=alpha.organization) == (3, None)


def test_the_beat_task_checkpoints_each_organisation_with_new_events(alpha, bravo):
    _append(alpha, 2)
    assert audit_checkpoints() == 1
    _append(bravo, 1)
    assert audit_checkpoints() == 1
    assert audit_checkpoints() == 0
    for tenant, seq in ((alpha, 2), (bravo, 1)):
        assert _exported(tenant).seq == seq


def test_an_altered_or_foreign_signature_is_not_accepted(alpha, bravo):
    _append(alpha, 2)
    _checkpoint(alpha)
    good = _exported(alpha)
    forged = checkpoint_from_json(json.dumps({**json.loads(good.as_json()), "seq": 1}))
    _, found = audit_chain_verify(organization=alpha.organization, checkpoint=forged)
    assert "is not this organisation's signature" in found.reason
    _, found = audit_chain_verify(organization=bravo.organization, checkpoint=good)
    assert "is not this organisation's signature" in found.reason


def test_events_deleted_before_the_checkpoint_are_named(alpha):
    _append(alpha, 5)
    _checkpoint(alpha)
    _append(alpha, 1)
    delete_event(alpha, 6)
    delete_event(alpha, 5)
    count, found = audit_chain_verify(organization=alpha.organization)
    assert count == 4
    assert "events 5 to 5 are missing before the checkpoint" in found.reason


@pytest.mark.skipif(not IS_POSTGRES, reason="on SQLite there is no trigger to switch off")
def test_deleting_events_with_the_head_and_the_checkpoints_is_caught_by_an_exported_checkpoint(alpha, tmp_path):
    _append(alpha, 6)
    _checkpoint(alpha)
    exported = tmp_path / "checkpoint.json"
    exported.write_text(_exported(alpha).as_json())
    for seq in (6, 5, 4):
        delete_event(alpha, seq)
    assert audit_chain_verify(organization=alpha.organization)[1] is not None
    with as_owner(), connection.cursor() as cursor:  # someone with the owner's access covers their tracks
        for table in ("audit_auditchainhead", "audit_auditcheckpoint"):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE organization_id = %s", [alpha.organization.pk])
        cursor.execute(
            "UPDATE audit_auditchainhead SET seq = 3, hash = (SELECT hash FROM audit_auditevent"
            " WHERE organization_id = %s AND seq = 3) WHERE organization_id = %s",
            [alpha.organization.pk, alpha.organization.pk],
        )
        for table in ("audit_auditchainhead", "audit_auditcheckpoint"):
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    assert audit_chain_verify(organization=alpha.organization) == (3, None), "the database alone looks intact"
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit", "--checkpoint", str(exported), stdout=out)
    assert "alpha: BROKEN at event seq 4" in out.getvalue()
    assert "events 4 to 6 are missing before the checkpoint" in out.getvalue()


def test_verify_audit_passes_against_a_good_exported_checkpoint_and_refuses_a_bad_file(alpha, tmp_path):
    _append(alpha, 2)
    _checkpoint(alpha)
    exported = tmp_path / "checkpoint.json"
    exported.write_text(_exported(alpha).as_json())
    out = StringIO()
    call_command("verify_audit", "--checkpoint", str(exported), stdout=out)
    assert "alpha: intact (2 events)" in out.getvalue()
    exported.write_text("{not json")
    with pytest.raises(CommandError, match="not an audit checkpoint"):
        call_command("verify_audit", "--checkpoint", str(exported))


def test_rotated_keys_still_verify_what_they_signed(alpha, settings):
    _append(alpha, 1)
    _checkpoint(alpha)
    settings.AUDIT_SIGNING_KEYS = [("k2", b"a new master key for the audit trail"), *settings.AUDIT_SIGNING_KEYS]
    assert _exported(alpha).is_signed()
    _append(alpha, 1)
    assert _checkpoint(alpha).key_id == "k2"
    assert audit_chain_verify(organization=alpha.organization) == (2, None)
    settings.AUDIT_SIGNING_KEYS = settings.AUDIT_SIGNING_KEYS[:1]
    assert checkpoint_from_json(_exported(alpha).as_json()).is_signed() is not False


def test_owners_download_the_latest_checkpoint(alpha, login):
    client = login(alpha.owner)
    assert client.get("/o/alpha/audit/checkpoint.json").status_code == 404
    _append(alpha, 2)
    _checkpoint(alpha)
    response = client.get("/o/alpha/audit/checkpoint.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit-checkpoint-alpha-2.json"'
    assert checkpoint_from_json(response.content.decode()).is_signed()
    assert login(alpha.manager).get("/o/alpha/audit/checkpoint.json").status_code == 403
    with alpha.context():
        assert AuditCheckpoint.objects.filter(organization=alpha.organization).count() == 1
