"""The audit trail page, its filters, the CSV export and the event detail page."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qms.tenancy.models import Role
from tests.factories import AuditEventFactory

TRAIL = "/o/alpha/audit/"
CSV = "/o/alpha/audit/export.csv"


def _event(tenant, **values):
    values.setdefault("actor", tenant.manager)
    return AuditEventFactory(organization=tenant.organization, **values)


def _seqs(response):
    assert response.status_code == 200
    return [e.seq for e in response.context["page"].object_list]


def _csv_rows(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.AUDITOR])
def test_owners_managers_and_auditors_see_the_trail(alpha, login, role):
    _event(alpha, object_repr="Complaint C-2026-0001", action="complaint.acknowledge")
    response = login(alpha.member(role)).get(TRAIL)
    assert response.status_code == 200
    assert b"Complaint C-2026-0001" in response.content
    assert b"complaint.acknowledge" in response.content


def test_staff_may_not_see_the_trail(alpha, login):
    event = _event(alpha)
    client = login(alpha.staff)
    assert client.get(TRAIL).status_code == 403
    assert client.get(CSV).status_code == 403
    assert client.get(f"{TRAIL}{event.pk}/").status_code == 403


def test_another_organisation_gets_404_and_never_sees_alphas_events(alpha, bravo, login):
    _event(alpha, object_repr="Alpha-only record")
    bravo_event = _event(bravo, object_repr="Bravo-only record")
    assert login(bravo.owner).get(TRAIL).status_code == 404
    client = login(alpha.owner)
    response = client.get(TRAIL)
    assert b"Alpha-only record" in response.content
    assert b"Bravo-only record" not in response.content
    assert b"Bravo-only record" not in client.get(CSV).content
    assert client.get(f"{TRAIL}{bravo_event.pk}/").status_code == 404


def test_the_newest_event_comes_first(alpha, login):
    for _ in range(3):
        _event(alpha)
    assert _seqs(login(alpha.owner).get(TRAIL)) == [3, 2, 1]


def test_it_filters_by_person(alpha, login):
    _event(alpha, actor=alpha.manager)
    _event(alpha, actor=alpha.owner)
    _event(alpha, actor=alpha.manager)
    client = login(alpha.owner)
    assert _seqs(client.get(TRAIL, {"actor": alpha.manager.pk})) == [3, 1]
    assert _seqs(client.get(TRAIL, {"actor": alpha.owner.pk})) == [2]
    assert _seqs(client.get(TRAIL, {"actor": "not-a-number"})) == [3, 2, 1]


def test_it_filters_by_object_type(alpha, login):
    _event(alpha, object_type="complaints.complaint")
    _event(alpha, object_type="capa.action")
    _event(alpha, object_type="complaints.complaint")
    response = login(alpha.owner).get(TRAIL, {"type": "complaints.complaint"})
    assert _seqs(response) == [3, 1]
    assert sorted(response.context["object_types"]) == ["capa.action", "complaints.complaint"]


def test_it_filters_by_date(alpha, login):
    _event(alpha)
    _event(alpha)
    today = timezone.localdate()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    client = login(alpha.owner)
    assert _seqs(client.get(TRAIL, {"since": today.isoformat()})) == [2, 1]
    assert _seqs(client.get(TRAIL, {"since": tomorrow.isoformat()})) == []
    assert _seqs(client.get(TRAIL, {"until": today.isoformat()})) == [2, 1]
    assert _seqs(client.get(TRAIL, {"until": yesterday.isoformat()})) == []
    assert _seqs(client.get(TRAIL, {"since": yesterday.isoformat(), "until": today.isoformat()})) == [2, 1]
    assert _seqs(client.get(TRAIL, {"since": "not-a-date"})) == [2, 1]


@pytest.mark.parametrize("path", ["", "export.csv"])
def test_filter_values_not_understood_are_ignored_and_said_so(alpha, login, path):
    _event(alpha)
    _event(alpha)
    bad = {"since": "2026-02-30", "until": "9999-99-99", "q": "a\x00b", "type": "x\x00", "actor": "1e309"}
    response = login(alpha.owner).get(TRAIL + path, bad)
    assert response.status_code == 200  # found by the fuzzing in tests/robustness: a NUL byte was a 500
    if path:
        assert len(_csv_rows(response)) == 3  # the header and both events: no filter applied
    else:
        assert _seqs(response) == [2, 1]
        assert "Not understood, so not applied: Search, Person, Object type, From, To." in response.content.decode()


def test_it_searches_objects_actions_and_people(alpha, login):
    _event(alpha, object_repr="Calibration of gauge 7", action="capa.close")
    _event(alpha, object_repr="Supplier Acme", action="supplier.approve", actor=alpha.owner)
    _event(alpha, object_repr="Survey Q3", action="survey.publish")
    client = login(alpha.owner)
    assert _seqs(client.get(TRAIL, {"q": "GAUGE"})) == [1]
    assert _seqs(client.get(TRAIL, {"q": "survey.publish"})) == [3]
    assert _seqs(client.get(TRAIL, {"q": "owner@alpha"})) == [2]
    empty = client.get(TRAIL, {"q": "nothing like this"})
    assert _seqs(empty) == []
    assert b"No audit event matches these filters" in empty.content


def test_filters_combine(alpha, login):
    _event(alpha, object_type="capa.action", object_repr="Fix the gauge", actor=alpha.owner)
    _event(alpha, object_type="capa.action", object_repr="Fix the gauge", actor=alpha.manager)
    _event(alpha, object_type="complaints.complaint", object_repr="Fix the gauge", actor=alpha.manager)
    params = {"type": "capa.action", "actor": alpha.manager.pk, "q": "gauge"}
    assert _seqs(login(alpha.owner).get(TRAIL, params)) == [2]


def test_long_trails_are_paginated(alpha, login):
    for _ in range(60):
        _event(alpha)
    client = login(alpha.owner)
    first = client.get(TRAIL)
    assert _seqs(first) == list(range(60, 10, -1))
    assert first.context["page"].paginator.num_pages == 2
    assert b"page=2" in first.content
    second = client.get(TRAIL, {"page": 2})
    assert _seqs(second) == list(range(10, 0, -1))


def test_pagination_keeps_the_filters(alpha, login):
    for _ in range(55):
        _event(alpha, object_type="capa.action")
    _event(alpha, object_type="complaints.complaint")
    response = login(alpha.owner).get(TRAIL, {"type": "capa.action", "page": 2})
    assert _seqs(response) == [5, 4, 3, 2, 1]
    assert response.context["page"].querystring == "type=capa.action"


def test_the_csv_export_has_a_header_and_one_row_per_event(alpha, login):
    _event(alpha, object_repr="Complaint C-2026-0001", changes={"status": ["open", "closed"]})
    _event(alpha, object_repr="Complaint C-2026-0002")
    response = login(alpha.auditor).get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="audit-trail-alpha.csv"' in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header == ["seq", "when", "who", "action", "object type", "object id", "object", "changes", "hash"]
    assert [(r[0], r[2], r[6]) for r in rows] == [
        ("2", "manager@alpha.test", "Complaint C-2026-0002"),
        ("1", "manager@alpha.test", "Complaint C-2026-0001"),
    ]
    assert json.loads(rows[1][7]) == {"status": ["open", "closed"]}  # JSON any tool reads, not a Python dict
    assert len(rows[0][8]) == 64


def test_the_csv_export_follows_the_filters(alpha, login):
    _event(alpha, object_type="capa.action")
    _event(alpha, object_type="complaints.complaint")
    _, *rows = _csv_rows(login(alpha.owner).get(CSV, {"type": "capa.action"}))
    assert [r[0] for r in rows] == ["1"]


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)"])
def test_the_csv_export_neutralises_formulas(alpha, login, payload):
    _event(alpha, object_repr=payload)
    _, row = _csv_rows(login(alpha.owner).get(CSV))
    assert row[6] == "'" + payload


def test_the_event_page_shows_the_hashes_and_changes(alpha, login):
    _event(alpha)
    event = _event(alpha, action="capa.close", changes={"status": ["open", "closed"]})
    response = login(alpha.auditor).get(f"{TRAIL}{event.pk}/")
    assert response.status_code == 200
    assert event.hash.encode() in response.content
    assert event.prev_hash.encode() in response.content
    assert b"capa.close" in response.content
    assert b"closed" in response.content


def test_an_unknown_event_is_404(alpha, login):
    assert login(alpha.owner).get(f"{TRAIL}999999/").status_code == 404


def test_free_text_is_escaped(alpha, login):
    event = _event(
        alpha, object_repr="<script>alert('repr')</script>", changes={"note": ["", "<img src=x onerror=alert(1)>"]}
    )
    client = login(alpha.owner)
    for response in (client.get(TRAIL), client.get(f"{TRAIL}{event.pk}/")):
        assert b"<script>alert(" not in response.content
        assert b"<img src=x" not in response.content
        assert b"&lt;script&gt;alert(&#x27;repr&#x27;)&lt;/script&gt;" in response.content
        assert b"&lt;img src=x onerror=alert(1)&gt;" in response.content


def _trail_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TRAIL)
    return len(response.context["page"].object_list), len(queries)


def test_the_trail_query_count_does_not_grow_with_events(alpha, login):
    people = [alpha.owner, alpha.manager, alpha.staff, alpha.auditor]
    client = login(alpha.owner)
    for n in range(10):
        _event(alpha, actor=people[n % 4], object_type=f"tests.kind{n % 3}")
    client.get(TRAIL)
    few, few_queries = _trail_queries(client)
    for n in range(40):
        _event(alpha, actor=people[n % 4], object_type=f"tests.kind{n % 5}")
    many, many_queries = _trail_queries(client)
    assert (few, many) == (10, 50)
    assert many_queries == few_queries
