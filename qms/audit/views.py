import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from qms.listing import csv_response, paginate
from qms.permissions import permission
from qms.sorting import Sorts
from qms.tenancy.access import get_object_for_member
from qms.tenancy.requests import MemberRequest
from qms.tenancy.selectors import members_for_organization

from .checkpoints import latest_checkpoint
from .filters import trail_filters
from .models import AuditEvent
from .sealing import unseal_events, unsealed_stream
from .selectors import audit_object_types

# The trail is in sequence order (newest first); "when" is the same order, kept by the sequence number.
TRAIL_SORTS = Sorts(default="-when", when=("seq",), who=("actor_label", "seq"), action=("action", "seq"))


@permission("audit.view")
def audit_trail(request: MemberRequest, org_slug: str) -> HttpResponse:
    filters = trail_filters(organization=request.organization, params=request.GET)
    events, sorting = TRAIL_SORTS.apply(filters.qs.select_related("actor"), request.GET)
    page = paginate(request, events)
    page.object_list = unseal_events(organization=request.organization, events=page.object_list)
    members = members_for_organization(organization=request.organization)
    return render(
        request,
        "audit/trail.html",
        {
            "page": page,
            "sorting": sorting,
            "members": members,
            "object_types": audit_object_types(organization=request.organization),
            "filters": request.GET,
            "ignored_filters": filters.ignored(),
        },
    )


@permission("audit.view")
def audit_trail_csv(request: MemberRequest, org_slug: str) -> HttpResponse:
    events = trail_filters(organization=request.organization, params=request.GET).qs.iterator(chunk_size=2000)
    rows = (
        (
            e.seq,
            e.created_at.isoformat(),
            e.actor_label,
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            json.dumps(e.changes, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder),  # readable by any tool
            e.hash,
        )
        for e in unsealed_stream(
            organization=request.organization,
            events=events,
        )
    )
    return csv_response(
        f"audit-trail-{org_slug}.csv",
        ["seq", "when", "who", "action", "object type", "object id", "object", "changes", "hash"],
        rows,
    )


@permission("audit.view")
def audit_event_detail(request: MemberRequest, org_slug: str, event_id: int) -> HttpResponse:
    event = get_object_for_member(
        AuditEvent.objects.select_related("actor"), organization=request.organization, pk=event_id
    )
    unseal_events(organization=request.organization, events=[event])
    return render(request, "audit/event.html", {"event": event})


@permission("audit.checkpoint")
def audit_checkpoint_download(request: MemberRequest, org_slug: str) -> HttpResponse:
    """The latest signed checkpoint, as the file `verify_audit --checkpoint FILE` reads (owners: keep it apart)."""
    checkpoint = latest_checkpoint(organization=request.organization)
    if checkpoint is None:
        raise Http404(_("No checkpoint yet: the first is signed within the hour after the first event."))
    response = HttpResponse(checkpoint.as_json(), content_type="application/json")
    name = f"audit-checkpoint-{request.organization.slug}-{checkpoint.seq}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
