"""Writes of the directory's saved views: a person names the customer list's current filters, or deletes a view."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import DirectorySavedView
from qms.accounts.models import User
from qms.audit.services import audit_record
from qms.tenancy.models import Organization


def directory_view_create(*, organization: Organization, owner: User, name: str, query: str) -> DirectorySavedView:
    """Save `query` (the list's normalised filters, customers.filters.directory_query) under a name unique for the
    person, any case; audited."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    with transaction.atomic():
        if DirectorySavedView.objects.filter(organization=organization, owner=owner, name__iexact=name).exists():
            raise ValidationError({"name": _("You already have a view called “%(name)s”.") % {"name": name}})
        view = DirectorySavedView.objects.create(organization=organization, owner=owner, name=name, query=query[:1000])
        audit_record(
            organization=organization,
            actor=owner,
            action="directory_view.create",
            obj=view,
            changes={"name": [None, name], "query": [None, view.query]},
        )
    return view


def directory_view_delete(*, saved_view: DirectorySavedView, actor: User) -> None:
    """A saved view is a preference, not a record: deleting it deletes it (audited). A campaign that went to it
    finds no view any more and reaches no one (customers.selectors.saved_views.saved_view_by_id answers None)."""
    with transaction.atomic():
        audit_record(
            organization=saved_view.organization,
            actor=actor,
            action="directory_view.delete",
            obj=saved_view,
            changes={"name": [saved_view.name, None], "query": [saved_view.query, None]},
        )
        saved_view.delete()
