"""The directory's saved views: save the customer list's current filters under a name, delete one of your own."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.filters import directory_filters, directory_query
from customers.forms import SavedViewForm
from customers.selectors.saved_views import access_saved_view
from customers.services.saved_views import directory_view_create, directory_view_delete
from qms.permissions import permission
from qms.tenancy.requests import MemberRequest


def _list_url(org_slug: str, query: str = "") -> str:
    url = reverse("customers:customer_list", kwargs={"org_slug": org_slug})
    return f"{url}?{query}" if query else url


@require_POST
@permission("customers.saved_views")
def directory_view_create_view(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = SavedViewForm(request.POST)
    filters = directory_filters(organization=request.organization, params=QueryDict(request.POST.get("query", "")))
    query = directory_query(filters)
    if not form.is_valid():
        messages.error(request, _("Give the view a name (at most 80 characters)."))
        return redirect(_list_url(org_slug, query))
    try:
        view = directory_view_create(
            organization=request.organization, owner=request.user, name=form.cleaned_data["name"], query=query
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_list_url(org_slug, query))
    messages.success(request, _("Saved the view “%(name)s”.") % {"name": view.name})
    return redirect(_list_url(org_slug, view.query))


@require_POST
@permission("customers.saved_views")
def directory_view_delete_view(request: MemberRequest, org_slug: str, view_id: int) -> HttpResponse:
    view = access_saved_view(organization=request.organization, owner=request.user, saved_view_id=view_id)
    directory_view_delete(saved_view=view, actor=request.user)
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return redirect(_list_url(org_slug))


urlpatterns = [
    path("customers/views/", directory_view_create_view, name="directory_view_create"),
    path("customers/views/<int:view_id>/delete/", directory_view_delete_view, name="directory_view_delete"),
]
