"""A token link of a module that does not exist: /x/<token>/ finds its organisation from an invitation's token (a
real crossing on PostgreSQL), and its view tells which organisation's rows it can read."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import URLResolver, include, path

from qms import urls as project_urls
from qms.audit.services import audit_record
from qms.tenancy.crossings import invitation_organization
from qms.tenancy.models import Membership
from qms.tenancy.public_links import unknown_link
from qms.tenancy.requests import LinkRequest


def organization_of(*, token_hash: str) -> int | None:
    return invitation_organization(token_hash=token_hash)


def visible(request: LinkRequest, token: str) -> HttpResponse:
    if request.organization is None:
        return unknown_link(request)
    scoped = sorted(set(Membership.objects.values_list("organization_id", flat=True)))
    database = scoped
    if connection.vendor == "postgresql":  # what row-level security lets through, without the app's scope
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT organization_id FROM tenancy_membership")
            database = sorted(row[0] for row in cursor.fetchall())
    return JsonResponse({"organization": request.organization.slug, "scoped": scoped, "database": database})


def write_then_fail(request: LinkRequest, token: str) -> HttpResponse:
    audit_record(organization=request.organization, actor=None, action="link.half_done", object_type="tests.link")
    raise RuntimeError("the view fails after writing")


link_urlpatterns = [
    path("x/<str:token>/", visible, name="test_visible"),
    path("x/<str:token>/fail/", write_then_fail, name="test_fail"),
]

urlpatterns = [
    path("", include((link_urlpatterns, "links"))),
    *(p for p in project_urls.urlpatterns if not (isinstance(p, URLResolver) and p.namespace == "links")),
]
handler400, handler403 = project_urls.handler400, project_urls.handler403
handler404, handler500 = project_urls.handler404, project_urls.handler500
