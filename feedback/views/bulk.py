"""Bulk actions of the inbox list: assign, add a theme or close the ticked items, then back to the same list.

A plain form POST (the page works without JavaScript; static/js/bulk-select.js only adds "select all"). Items of
another organisation are a 404 and nothing is touched; more than MAX_BULK_ITEMS is a 400. Each item is checked and
written by the single-item services (feedback/services/bulk.py); the message says what was done and skipped.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.http import require_POST

from feedback.forms.bulk import ASSIGN, CLOSE, TOO_MANY, BulkForm
from feedback.selectors.inbox import access_feedback_items
from feedback.services.bulk import MAX_BULK_ITEMS, feedback_bulk_assign, feedback_bulk_close, feedback_bulk_tag
from feedback.views.inbox import _inbox_url, bulk_form
from qms.permissions import permission
from qms.tenancy.requests import MemberRequest


def _perform(request: MemberRequest, form: BulkForm) -> str:
    items = access_feedback_items(organization=request.organization, feedback_ids=form.cleaned_data["items"])
    membership, actor = request.membership, request.user
    action = form.cleaned_data["action"]
    if action == ASSIGN:
        person = form.assignee_user()
        result = feedback_bulk_assign(items=items, membership=membership, actor=actor, assignee=person)
        n = len(result.done)
        if person is None:
            # ngettext_lazy keyed by name: the catalogue tool (tests/i18n) extracts only calls of literal arguments.
            return result.message(ngettext_lazy("%(n)d item unassigned", "%(n)d items unassigned", "n") % {"n": n})
        done = ngettext_lazy("%(n)d item assigned to %(person)s", "%(n)d items assigned to %(person)s", "n")
        return result.message(done % {"n": n, "person": person.get_full_name() or person.email})
    if action == CLOSE:
        note = form.cleaned_data["note"]
        result = feedback_bulk_close(items=items, membership=membership, actor=actor, note=note)
        n = len(result.done)
        return result.message(ngettext_lazy("%(n)d item closed", "%(n)d items closed", "n") % {"n": n})
    theme, new_name = form.theme_row(), form.cleaned_data["new_theme"].strip()
    result = feedback_bulk_tag(items=items, membership=membership, actor=actor, theme=theme, new_name=new_name)
    n = len(result.done)
    done = ngettext_lazy("%(n)d item tagged “%(theme)s”", "%(n)d items tagged “%(theme)s”", "n")
    return result.message(done % {"n": n, "theme": theme.name if theme else new_name})


@require_POST
@permission("feedback.triage")
def feedback_bulk(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = bulk_form(request, request.POST)
    # Only ever a query string of the inbox: re-encoded, under the inbox's own path.
    back = redirect(_inbox_url(org_slug, QueryDict(request.POST.get("query", "")[:2000]).urlencode()))
    if not form.is_valid():
        if form.too_many():
            return render(
                request,
                "feedback/inbox/bulk_refused.html",
                {"reason": TOO_MANY % {"n": MAX_BULK_ITEMS}, "status": 400},
                status=400,
            )
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return back
    try:
        message = _perform(request, form)
    except Http404:
        reason = _("Some of the selected items are not in this organisation's inbox, so nothing was changed.")
        return render(request, "feedback/inbox/bulk_refused.html", {"reason": reason, "status": 404}, status=404)
    messages.success(request, message)
    return back


urlpatterns = [path("feedback/bulk/", feedback_bulk, name="feedback_bulk")]
