"""The dashboard, the organisation's home page: qms.tenancy's `organization_home` (route tenancy:home, action
"dashboard.view") hands over to it, as this module's AppConfig declares (`home_view`)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from qms.tenancy.requests import MemberRequest

from .selectors import dashboard_for
from .services import dashboard_visit_record


def dashboard(request: MemberRequest, org_slug: str) -> HttpResponse:
    now = timezone.now()
    last_visit = dashboard_visit_record(membership=request.membership, now=now)
    board = dashboard_for(
        organization=request.organization, membership=request.membership, last_visit=last_visit, now=now
    )
    return render(request, "reports/dashboard.html", {"dashboard": board})
