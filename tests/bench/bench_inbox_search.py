"""The inbox's full-text search over 100,000 feedback items: the inbox page with a search (sign-in session,
organisation context, filters, count, a page of 25, the template) against a bare Django view running a
hand-written count and page query with the same match, in the same run.

On PostgreSQL both use the stored, GIN-indexed document (migration feedback 0002). It also prints, for reference,
one count by the old way, building every item's document at query time. On SQLite both scan with LIKE.
Run with `make bench`. Prints the ratio; no timing assertion (these machines are noisy).
"""

import statistics
import time

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from tests.conftest import as_owner

ITEMS = 100_000
ROUNDS = 30
TERM = "invoice 4242"  # one item in 100,000 says it

ROWS = """
    INSERT INTO feedback_feedbackitem (organization_id, reference, channel, kind, status, submitter_name,
        submitter_email, product, received_on, text, sentiment, closing_note, converted_to, source_ip_hash,
        created_at, updated_at)
    SELECT %s, 'B-' || n, 'email', 'concern', 'new', 'Person ' || n, '', 'Product ' || (n %% 50), {date},
        'Order ' || n || ' arrived ' || {word} || ' and the box was torn; please call about invoice ' || n || '.',
        '', '', '', '', {now}, {now}
    FROM {series}
"""
POSTGRES = {
    "date": "current_date - (n %% 365)",
    "word": "(ARRAY['late','damaged','early','incomplete','wrong'])[1 + n %% 5]",
    "now": "now()",
    "series": "generate_series(1, %s) AS g(n)",
}
SQLITE = {
    "date": "date('now', '-' || (n %% 365) || ' days')",
    "word": "CASE n %% 5 WHEN 0 THEN 'late' WHEN 1 THEN 'damaged' WHEN 2 THEN 'early' ELSE 'wrong' END",
    "now": "datetime('now')",
    "series": "(WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) SELECT n FROM g)",
}
OLD_WAY = """
    SELECT count(*) FROM feedback_feedbackitem f LEFT JOIN customers_customer c ON c.id = f.customer_id
    WHERE f.organization_id = %s AND to_tsvector('english', concat_ws(' ', f.reference, f.text, f.product,
        f.submitter_name, c.name)) @@ websearch_to_tsquery('english', %s)
"""


def _median_seconds(client, path) -> float:
    client.get(path)  # warm up
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
    return statistics.median(timings)


@override_settings(ROOT_URLCONF="tests.bench.urls")
def test_bench_inbox_search_against_a_bare_view(alpha):
    postgres = connection.vendor == "postgresql"
    with alpha.context(), connection.cursor() as cursor:
        cursor.execute(ROWS.format(**(POSTGRES if postgres else SQLITE)), [alpha.organization.pk, ITEMS])
        if postgres:  # statistics, as autovacuum would take them after such a load; ANALYZE is the owner's
            cursor.execute("SELECT current_user = session_user")
            owner = cursor.fetchone()[0]
            cursor.execute("ANALYZE feedback_feedbackitem" if owner else "RESET ROLE; ANALYZE feedback_feedbackitem")
            if not owner:
                cursor.execute(f"SET ROLE {connection.ops.quote_name(settings.DATABASE_APP_ROLE)}")
        else:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(alpha.manager)

    with as_owner():  # the bare view reads without an organisation context: as the owner, whom the policy exempts
        bare = _median_seconds(client, f"/bench/bare/alpha/feedback-search/?q={TERM}")
    page = _median_seconds(client, f"/o/alpha/feedback/?q={TERM}")
    assert client.get(f"/o/alpha/feedback/?q={TERM}").context["page"].paginator.count >= 1

    print(
        f"\n[bench] inbox search over {ITEMS} items ({connection.vendor}): page {page * 1000:.1f} ms, "
        f"bare view {bare * 1000:.1f} ms, ratio {page / bare:.2f}x"
    )
    if postgres:
        with alpha.context(), connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(OLD_WAY, [alpha.organization.pk, TERM])
            old = time.perf_counter() - start
        print(f"[bench] the old way (every item's document built at query time), its count alone: {old * 1000:.0f} ms")
