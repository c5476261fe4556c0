from django.db import connection
from django.http import JsonResponse
from django.urls import include, path


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


urlpatterns = [
    path("bench/bare/<slug:org_slug>/members/", bare_members),
    path("", include("qms.urls")),
]
