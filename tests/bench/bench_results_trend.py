"""A survey's NPS and CSAT trend over 1,000,000 responses: the results page showing the trend only
(`/o/<slug>/surveys/<id>/results/?view=trend`, through the test client as a manager: the session, the
organisation's context, the filters and their choices, the questions, the trend's GROUP BY, the scoring and the
significance tests, the two SVG charts and their tables, the template) against the hand-written SQL GROUP BY that
computes the same numbers (responses × answers, counted by month, question and score, run as the application role
in the organisation's context, under row-level security like the page), interleaved rounds, medians compared.
Target: the page at most 1.5x the GROUP BY.

The survey has an NPS and a CSAT question; its 1,000,000 responses are spread over twelve months and four
segments, written set-based in SQL (generate_series) as the owner role, two answers each. For scale: LimeSurvey's
statistics run one COUNT per answer code, about 9x a GROUP BY at 100,000 responses.

PostgreSQL only (skipped on SQLite). Run with `make bench`. Prints the figures; no timing assertion.
"""

import statistics
import time

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import as_owner
from tests.surveys.builders import build_survey

RESPONSES = 1_000_000
ROUNDS = 5
QUESTIONS = [
    {"code": "nps", "kind": "nps", "text": "Would you recommend us?"},
    {"code": "csat", "kind": "csat", "text": "How satisfied are you?"},
]

# A year of months from 1 Dec 2025, four segments; the scores drift with the month so that the trend moves.
RESPONSE_ROWS = """
    INSERT INTO surveys_response (organization_id, survey_id, version_id, source, language, submitted_on, attributes,
        digest)
    SELECT %(org)s, %(survey)s, %(version)s, 'public_link', 'en', date '2025-12-01' + (n %% 365),
        jsonb_build_object('segment', (ARRAY['Retail', 'Industry', 'Public', 'Health'])[1 + n %% 4]),
        md5(n::text) || md5((n + 1)::text)
    FROM generate_series(1, %(n)s) AS g(n)
"""
ANSWER_ROWS = """
    INSERT INTO surveys_answer (organization_id, response_id, question_id, number, text, choices)
    SELECT r.organization_id, r.id, q.id,
        CASE WHEN q.code = 'nps' THEN least(10, ((r.id * 7919) %% 11) + (extract(month FROM r.submitted_on)::int %% 3))
             ELSE 1 + ((r.id * 31 + extract(month FROM r.submitted_on)::int) %% 5) END,
        '', '[]'::jsonb
    FROM surveys_response r CROSS JOIN surveys_question q
    WHERE r.survey_id = %(survey)s AND q.version_id = %(version)s
"""
# what the trend needs: answers of the survey's scored questions, by month, question and score
GROUP_BY = """
    SELECT date_trunc('month', r.submitted_on)::date AS month, a.question_id, a.number, count(*)
    FROM surveys_answer a JOIN surveys_response r ON r.id = a.response_id
    WHERE a.organization_id = %s AND r.survey_id = %s AND a.number IS NOT NULL
    GROUP BY 1, 2, 3
"""


def _group_by_seconds(tenant, survey) -> tuple[float, list[tuple]]:
    with tenant.context(), connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(GROUP_BY, [tenant.organization.pk, survey.pk])
        rows = cursor.fetchall()
        return time.perf_counter() - start, rows


def _page_seconds(client, path) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200
    return elapsed


def test_bench_results_trend_against_a_group_by(alpha):
    if connection.vendor != "postgresql":
        pytest.skip("the trend benchmark runs on PostgreSQL (a million rows set-based with generate_series)")
    survey = build_survey(alpha.organization, questions=QUESTIONS)
    with alpha.context():
        version = survey.versions.get()
    values = {"org": alpha.organization.pk, "survey": survey.pk, "version": version.pk, "n": RESPONSES}
    start = time.perf_counter()
    with alpha.context(), as_owner(), connection.cursor() as cursor:  # the owner writes in bulk, takes the statistics
        cursor.execute(RESPONSE_ROWS, values)
        cursor.execute(ANSWER_ROWS, values)
        cursor.execute("ANALYZE surveys_response")
        cursor.execute("ANALYZE surveys_answer")
    print(f"\n[bench] {RESPONSES} responses, {2 * RESPONSES} answers written in {time.perf_counter() - start:.0f} s")

    client = Client()
    client.force_login(alpha.manager)
    path = f"/o/{alpha.organization.slug}/surveys/{survey.pk}/results/?view=trend"
    response = client.get(path)  # warm up, and check that the page shows the year
    trends = response.context["trends"]
    assert [t.trend.code for t in trends] == ["nps", "csat"]
    _seconds, rows = _group_by_seconds(alpha, survey)
    for trend in trends:  # the page counts what the GROUP BY counts
        assert len(trend.trend.points) == 12 and sum(p.estimate.n for p in trend.trend.points) == RESPONSES
    assert sum(row[3] for row in rows) == 2 * RESPONSES and len({row[0] for row in rows}) == 12

    pages, bare = [], []
    for _ in range(ROUNDS):
        bare.append(_group_by_seconds(alpha, survey)[0])
        pages.append(_page_seconds(client, path))
    page, group_by = statistics.median(pages), statistics.median(bare)
    print(
        f"[bench] trend of NPS and CSAT over {RESPONSES} responses (postgresql): page {page * 1000:.0f} ms "
        f"(rounds {', '.join(f'{s * 1000:.0f}' for s in pages)}), GROUP BY {group_by * 1000:.0f} ms "
        f"(rounds {', '.join(f'{s * 1000:.0f}' for s in bare)}), ratio {page / group_by:.2f}x (target <= 1.5x)"
    )
