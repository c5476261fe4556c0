"""Reads of the directory's saved views: a person's own on the customer list, and a view's contacts, evaluated when
asked (so a customer added after the view was saved is in it), which campaigns use as an audience."""

from django.db.models import QuerySet
from django.http import QueryDict

from customers.filters import directory_filters
from customers.models import Contact, DirectorySavedView
from customers.selectors.directory import customers_filtered
from qms.accounts.models import User
from qms.forms import MAX_ID
from qms.tenancy.access import get_object_for_member
from qms.tenancy.models import Organization


def saved_views_for(*, organization: Organization, owner: User) -> QuerySet[DirectorySavedView]:
    return DirectorySavedView.objects.filter(organization=organization, owner=owner).order_by("name", "pk")


def access_saved_view(*, organization: Organization, owner: User, saved_view_id: int) -> DirectorySavedView:
    """One of the person's own views (another person's, or another organisation's, is 404)."""
    return get_object_for_member(
        DirectorySavedView.objects.all(), organization=organization, owner=owner, pk=saved_view_id
    )


def saved_view_by_id(*, organization: Organization, view_id: int | str) -> DirectorySavedView | None:
    """The organisation's view of an id as a campaign stores it (a string), or None (deleted, or not an id)."""
    text = str(view_id)
    if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID):
        return None
    views = DirectorySavedView.objects.filter(organization=organization, pk=int(text)).select_related("organization")
    return views.first()


def saved_view_contacts(view: DirectorySavedView) -> QuerySet[Contact]:
    """The live contacts of the customers the view's filters match now; with its "undeliverable" filter, only the
    contacts whose address is undeliverable. A lazy queryset: each evaluation reads the directory as it is then."""
    organization = view.organization
    filters = directory_filters(organization=organization, params=QueryDict(view.query))
    customers = customers_filtered(organization=organization, filters=filters)
    contacts = Contact.objects.filter(
        organization=organization, customer__in=customers.values("pk"), erased_at__isnull=True
    )
    if filters.values["undeliverable"]:
        contacts = contacts.filter(undeliverable_at__isnull=False)
    return contacts


def saved_view_choices(*, organization: Organization, user: User | None = None) -> list[tuple[str, str]]:
    """The views a campaign form may offer, as (id, label): every view of the organisation, not only the person's,
    since a campaign is the organisation's and whoever edits it next must see its audience; `user`'s own come
    first, the others name who saved them."""
    views = DirectorySavedView.objects.filter(organization=organization).select_related("owner")
    own = user.pk if user is not None else None
    ordered = sorted(views, key=lambda view: (view.owner_id != own, view.name.lower(), view.pk))
    return [(str(view.pk), _label(view, own)) for view in ordered]


def _label(view: DirectorySavedView, own: int | None) -> str:
    if view.owner_id == own:
        return view.name
    return f"{view.name} ({view.owner.full_name or view.owner.email})"
