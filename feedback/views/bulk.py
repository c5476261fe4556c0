"""Bulk actions of the inbox list: assign, add a theme or close the ticked items, then back to the same list.

A plain form POST (the page works without JavaScript; static/js/bulk-select.js only adds "select all"). Items of
another organisation are a 404 and nothing is touched; more than MAX_BULK_ITEMS is a 400. Each item is checked and
written by the single-item services (feedback/services/bulk.py); the message says what was done and skipped.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from feedback.forms.bulk import ASSIGN, CLOSE, TOO_MANY, BulkForm
from feedback.selectors.inbox import access_feedback_items
from feedback.services.bulk import feedback_bulk_assign, feedback_bulk_close, feedback_bulk_tag
from feedback.views.inbox import _inbox_url, bulk_form
from qms.permissions import permission
from qms.tenancy.requests import MemberRequest

NOT_FOUND = "Some of the selected items are not in this organisation's inbox, so nothing was changed."


def _perform(request: MemberRequest, form: BulkForm) -> str:
    items = access_feedback_items(organization=request.organization, feedback_ids=form.cleaned_data["items"])
    membership, actor = request.membership, request.user
    action = form.cleaned_data["action"]
    if action == ASSIGN:
        person = form.assignee_user()
        result = feedback_bulk_assign(items=items, membership=membership, actor=actor, assignee=person)
        return result.message(f"assigned to {person.get_full_name() or person.email}" if person else "unassigned")
    if action == CLOSE:
        note = form.cleaned_data["note"]
        return feedback_bulk_close(items=items, membership=membership, actor=actor, note=note).message("closed")
    theme, new_name = form.theme_row(), form.cleaned_data["new_theme"].strip()
    result = feedback_bulk_tag(items=items, membership=membership, actor=actor, theme=theme, new_name=new_name)
    return result.message(f"tagged “{theme.name if theme else new_name}”")


@require_POST
@permission("feedback.triage")
def feedback_bulk(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = bulk_form(request, request.POST)
    # Only ever a query string of the inbox: re-encoded, under the inbox's own path.
    back = redirect(_inbox_url(org_slug, QueryDict(request.POST.get("query", "")[:2000]).urlencode()))
    if not form.is_valid():
        if form.too_many():
            return render(request, "feedback/inbox/bulk_refused.html", {"reason": TOO_MANY, "status": 400}, status=400)
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return back
    try:
        message = _perform(request, form)
    except Http404:
        return render(request, "feedback/inbox/bulk_refused.html", {"reason": NOT_FOUND, "status": 404}, status=404)
    messages.success(request, message)
    return back


urlpatterns = [path("feedback/bulk/", feedback_bulk, name="feedback_bulk")]
