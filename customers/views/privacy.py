"""A contact's rights over their data: download everything held about them, or erase it. Owners and managers."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from customers.selectors.privacy import (
    access_contact_for_privacy,
    contact_erasure_summaries,
    contact_personal_data,
)
from customers.services.privacy import contact_erase, contact_export_record
from qms.permissions import permission
from qms.tenancy.requests import MemberRequest


@require_GET
@permission("contacts.privacy")
def contact_export(request: MemberRequest, org_slug: str, contact_id: int) -> HttpResponse:
    contact = access_contact_for_privacy(organization=request.organization, contact_id=contact_id)
    data = contact_personal_data(organization=request.organization, contact=contact)
    contact_export_record(contact=contact, actor=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}-{org_slug}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@permission("contacts.privacy")
def contact_erase_view(request: MemberRequest, org_slug: str, contact_id: int) -> HttpResponse:
    contact = access_contact_for_privacy(organization=request.organization, contact_id=contact_id)
    if request.method == "POST":
        try:
            contact_erase(contact=contact, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("The personal data of contact #%(number)s was erased; the records remain.") % {"number": contact.pk},
            )
        return redirect("customers:contact_erase", org_slug=org_slug, contact_id=contact.pk)
    summaries = contact_erasure_summaries(organization=request.organization, contact=contact)
    return render(request, "customers/contact_erase.html", {"contact": contact, "erasure_summaries": summaries})


urlpatterns = [
    path("contacts/<int:contact_id>/export.json", contact_export, name="contact_export"),
    path("contacts/<int:contact_id>/erase/", contact_erase_view, name="contact_erase"),
]
