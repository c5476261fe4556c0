"""`manage.py verify_audit [--org SLUG]` recomputes chains and names the first altered or missing event."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from qms.audit.models import AuditEvent
from tests.audit.tampering import tampering
from tests.factories import AuditEventFactory


def _append(tenant, count):
    for n in range(1, count + 1):
        AuditEventFactory(organization=tenant.organization, actor=tenant.owner, object_repr=f"Record {n}")


def _events_of(tenant, seq):
    return AuditEvent.objects.filter(organization=tenant.organization, seq=seq)


def _verify(*args):
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_it_reports_an_intact_chain_with_its_event_count(alpha, bravo):
    _append(alpha, 4)
    out, error = _verify("--org", "alpha")
    assert error is None
    assert out.strip() == "alpha: intact (4 events)"


def test_without_org_it_checks_every_organisation(alpha, bravo):
    _append(alpha, 2)
    _append(bravo, 3)
    out, error = _verify()
    assert error is None
    assert out.splitlines() == ["alpha: intact (2 events)", "bravo: intact (3 events)"]


def test_an_altered_event_fails_and_is_named(alpha, bravo):
    _append(alpha, 5)
    _append(bravo, 2)
    with tampering(), alpha.context():
        _events_of(alpha, 3).update(object_repr="Nothing to see here")
    out, error = _verify("--org", "alpha")
    assert isinstance(error, CommandError)
    assert "alpha: BROKEN at event seq 3 (position 3)" in out
    assert "altered" in out
    assert "bravo" not in out


def test_altered_changes_are_found(alpha):
    _append(alpha, 3)
    with tampering(), alpha.context():
        _events_of(alpha, 2).update(changes={"status": ["open", "open"]})
    out, error = _verify("--org", "alpha")
    assert error is not None
    assert "BROKEN at event seq 2 (position 2)" in out


def test_a_deleted_event_is_named_by_its_position(alpha):
    _append(alpha, 5)
    with tampering(), alpha.context():
        _events_of(alpha, 2).delete()
    out, error = _verify("--org", "alpha")
    assert error is not None
    assert "BROKEN at event seq 3 (position 2): expected sequence number 2, found 3" in out


def test_one_broken_chain_fails_the_run_and_the_others_still_report(alpha, bravo):
    _append(alpha, 3)
    _append(bravo, 3)
    with tampering(), bravo.context():
        _events_of(bravo, 1).update(action="thing.nothing_happened")
    out, error = _verify()
    assert "1 audit chain(s) failed verification" in str(error)
    assert "alpha: intact (3 events)" in out
    assert "bravo: BROKEN at event seq 1 (position 1)" in out


def test_an_unknown_organisation_is_an_error(alpha):
    with pytest.raises(CommandError, match="No organisation with slug 'nowhere'"):
        call_command("verify_audit", "--org", "nowhere", stdout=StringIO())
