"""A staff page and an API-shaped page that write, then fail: the failed request's writes must not stay."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from qms.audit.services import audit_record
from qms.outbox.services import email_enqueue


def write_then_fail(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization  # type: ignore[attr-defined]  # set by TenantMiddleware
    audit_record(organization=organization, actor=request.user, action="thing.half_done", object_type="tests.thing")
    email_enqueue(
        organization=organization, to="someone@example.com", template="audit-checkpoint",
        context={"checkpoint": None, "checkpoint_json": "", "public_key": ""},
    )  # fmt: skip
    raise RuntimeError("the view fails after writing")


urlpatterns = [
    path("o/<slug:org_slug>/broken/", write_then_fail),
    path("p/<slug:org_slug>/broken/", write_then_fail),
    path("", include("qms.urls")),
]
