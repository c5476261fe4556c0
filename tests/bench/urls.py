import hashlib
import json

from django.db import connection, transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from qms.tenancy.context import organization_context
from qms.tenancy.public_links import token_hash

BARE_ANSWERS_TABLE = "bench_bare_answer"


def bare_members(request, org_slug):
    """The baseline: no middleware work of ours, no DRF, one hand-written query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, u.email, u.full_name, m.role FROM tenancy_membership m "
            "JOIN accounts_user u ON u.id = m.user_id JOIN tenancy_organization o ON o.id = m.organization_id "
            "WHERE o.slug = %s AND m.removed_at IS NULL ORDER BY u.email",
            [org_slug],
        )
        rows = [dict(zip(("id", "email", "full_name", "role"), r, strict=True)) for r in cursor.fetchall()]
    return JsonResponse({"results": rows})


def bare_feedback_search(request, org_slug):
    """The baseline for the inbox search: one hand-written count and one hand-written page query."""
    if connection.vendor == "postgresql":
        match, term = "f.search_document @@ websearch_to_tsquery('english', %s)", request.GET["q"]
    else:
        match, term = "f.text LIKE %s", f"%{request.GET['q']}%"
    where = (
        "FROM feedback_feedbackitem f JOIN tenancy_organization o ON o.id = f.organization_id "
        f"WHERE o.slug = %s AND {match}"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {where}", [org_slug, term])  # noqa: S608 - fixed text, values as parameters
        count = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT f.id, f.reference, f.kind, f.status, f.received_on, f.text {where} "  # noqa: S608
            "ORDER BY f.received_on DESC, f.created_at DESC, f.id DESC LIMIT 25",
            [org_slug, term],
        )
        rows = [dict(zip(("id", "reference", "kind", "status", "received_on", "text"), r, strict=True)) for r in cursor]
    return JsonResponse({"count": count, "results": rows})


@csrf_exempt
def bare_answer(request, token):
    """The baseline for answering: the posted fields stored as one row by one hand-written INSERT (no token check, no
    organisation, no transaction of ours), answered with a redirect as the survey page answers."""
    answers = {key: request.POST[key] for key in request.POST if key.startswith("q_")}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_ANSWERS_TABLE} (token, answers, created_at) VALUES (%s, %s, now())",  # noqa: S608
            [token, json.dumps(answers)],
        )
    return HttpResponseRedirect(f"/bench/bare/answers/{token}/?done=1")


# The floor of an answer: what any implementation of this schema must do to record one, hand-written. The token's
# organisation through the crossing, the organisation's context for row-level security, the compare-and-swap that
# makes the answer once, the response with its digest, its answers in one INSERT; no forms, texts or ORM.
FLOOR_CLAIM = (
    "UPDATE surveys_invitation SET answered_at = now() WHERE token_hash = %s AND answered_at IS NULL "
    "AND revoked_at IS NULL AND expires_at > now() RETURNING id, survey_id, version_id, send_id, contact_id, language"
)
FLOOR_RESPONSE = (
    "INSERT INTO surveys_response (organization_id, survey_id, version_id, send_id, invitation_id, contact_id, source, "
    "language, submitted_on, submitted_at, attributes, digest) "
    "VALUES (%s, %s, %s, %s, %s, %s, 'invitation', %s, current_date, now(), '{}', %s) RETURNING id"
)
FLOOR_ANSWERS = (
    "INSERT INTO surveys_answer (organization_id, response_id, question_id, number, text, choices) "
    "SELECT %s, %s, q.id, CASE WHEN q.code = 'nps' THEN %s END, CASE WHEN q.code = 'why' THEN %s ELSE '' END, '[]' "
    "FROM surveys_question q WHERE q.version_id = %s AND q.code IN ('nps', 'why')"
)


@csrf_exempt
def floor_answer(request, token):
    hashed = token_hash(token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_survey_link_organization(%s)", [hashed])
        organization_id = cursor.fetchone()[0]
    with transaction.atomic(), organization_context(organization_id), connection.cursor() as cursor:
        cursor.execute(FLOOR_CLAIM, [hashed])
        invitation, survey, version, send, contact, language = cursor.fetchone()
        score, why = int(request.POST["q_nps"]), request.POST.get("q_why", "")
        content = json.dumps({"nps": score, "why": why, "version": version}, sort_keys=True)
        digest = hashlib.sha256(content.encode()).hexdigest()
        cursor.execute(FLOOR_RESPONSE, [organization_id, survey, version, send, invitation, contact, language, digest])
        response = cursor.fetchone()[0]
        cursor.execute(FLOOR_ANSWERS, [organization_id, response, score, why, version])
    return HttpResponseRedirect(f"/r/{token}/?done=1")


urlpatterns = [
    path("bench/floor/answers/<str:token>/", floor_answer),
    path("bench/bare/answers/<str:token>/", bare_answer),
    path("bench/bare/<slug:org_slug>/members/", bare_members),
    path("bench/bare/<slug:org_slug>/feedback-search/", bare_feedback_search),
    path("", include("qms.urls")),
]
