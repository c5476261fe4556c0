"""Reads of the feedback inbox: the filtered list, full-text search, an item's timeline and links, who may triage."""

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer
from feedback.models import Attachment, FeedbackItem, SavedView, Theme
from qms.accounts.models import User
from qms.audit.models import AuditEvent
from qms.tenancy.access import MANAGERS, get_object_for_member, has_role
from qms.tenancy.models import Membership, Organization, Role

Status = FeedbackItem.Status
OPEN = "open"
UNASSIGNED = "unassigned"
ME = "me"
# What search matches: the item's own words and the names its From column shows (as migration 0007 has them).
SEARCH_FIELDS = ("reference", "text", "product", "submitter_name", "customer__name", "contact__name")
SEARCH_CONFIG = "english"
FEEDBACK_OBJECT_TYPE = "feedback.feedbackitem"
TRIAGE_DENIED = _(
    "Only a manager or the person this item is assigned to can change it. Ask a manager to assign it to you."
)


# --- access -------------------------------------------------------------------------------------------------


def can_triage(membership: Membership | None, feedback: FeedbackItem) -> bool:
    """Owners and managers triage any item; staff only the items assigned to them; auditors nothing."""
    if has_role(membership, *MANAGERS):
        return True
    return membership is not None and has_role(membership, Role.STAFF) and feedback.assignee_id == membership.user_id


def access_feedback(*, organization: Organization, feedback_id: int) -> FeedbackItem:
    return get_object_for_member(
        FeedbackItem.objects.select_related("customer", "contact", "assignee", "created_by"),
        organization=organization,
        pk=feedback_id,
    )


def access_feedback_items(*, organization: Organization, feedback_ids: Iterable[int]) -> list[FeedbackItem]:
    """Several items of this organisation, in the inbox's order; a 404 when any one of them is not (nothing is
    touched then), so another organisation's item cannot be acted on, nor its existence learnt."""
    wanted = set(feedback_ids)
    items = list(feedback_items(organization=organization).filter(pk__in=wanted))
    if len(items) != len(wanted):
        raise Http404(_("Some of the selected items are not in this organisation's inbox."))
    return items


def access_attachment(*, organization: Organization, feedback: FeedbackItem, attachment_id: int) -> Attachment:
    """One attachment of this very item: another item's (or organisation's) attachment id is a 404."""
    return get_object_for_member(
        Attachment.objects.all(), organization=organization, feedback=feedback, pk=attachment_id
    )


def access_saved_view(*, organization: Organization, owner: User, saved_view_id: int) -> SavedView:
    """A person's own saved view; someone else's is a 404, like another organisation's."""
    return get_object_for_member(SavedView.objects.all(), organization=organization, owner=owner, pk=saved_view_id)


def feedback_by_reference(*, organization: Organization, reference: str) -> FeedbackItem | None:
    return FeedbackItem.objects.filter(organization=organization, reference__iexact=reference.strip()).first()


# --- the list -----------------------------------------------------------------------------------------------


def feedback_items(*, organization: Organization) -> QuerySet[FeedbackItem]:
    """The inbox, newest first; rows carry their customer, contact, assignee and themes in a constant number of
    queries. feedback.filters.FeedbackFilter narrows it, for the page and the API alike."""
    return (
        FeedbackItem.objects.filter(organization=organization)
        .select_related("customer", "contact", "assignee")
        .prefetch_related(Prefetch("themes", queryset=Theme.objects.filter(organization=organization)))
        .order_by("-received_on", "-created_at", "-pk")
    )


def feedback_search(qs: QuerySet[FeedbackItem], term: str) -> QuerySet[FeedbackItem]:
    """Full-text search (PostgreSQL: a websearch query over a text-search vector; SQLite: every word, icontains)."""
    term = term.strip()
    if connection.vendor == "postgresql":
        # The stored document of SEARCH_FIELDS, kept by triggers and GIN-indexed (migrations 0002 and 0007).
        matches = RawSQL(  # noqa: S611 - a fixed statement; the term and config are parameters
            f"{FeedbackItem._meta.db_table}.search_document @@ websearch_to_tsquery(%s::regconfig, %s)",
            [SEARCH_CONFIG, term],
            output_field=BooleanField(),
        )
        by_reference = Q(reference=term.upper())  # references are upper case: the unique index serves this
        return qs.alias(matches=matches).filter(Q(matches=True) | by_reference)
    return qs.filter(_words_q(term))


def _words_q(term: str) -> Q:
    """A small websearch for SQLite: every word (or "quoted phrase") must appear somewhere; -word must not."""
    condition = Q()
    for phrase, word in re.findall(r'"([^"]+)"|(\S+)', term):
        text = phrase or word
        negate = not phrase and text.startswith("-") and len(text) > 1
        text = text[1:] if negate else text
        if not phrase and text.lower() == "or":
            continue
        anywhere = Q()
        for field in SEARCH_FIELDS:
            anywhere |= Q(**{f"{field}__icontains": text})
        condition &= ~anywhere if negate else anywhere
    return condition


# --- one item -----------------------------------------------------------------------------------------------


def feedback_timeline(*, organization: Organization, feedback: FeedbackItem) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        organization=organization, object_type=FEEDBACK_OBJECT_TYPE, object_id=str(feedback.pk)
    ).order_by("seq")


def feedback_attachments(*, organization: Organization, feedback: FeedbackItem) -> QuerySet[Attachment]:
    return Attachment.objects.filter(organization=organization, feedback=feedback).select_related("uploaded_by")


# --- choices ------------------------------------------------------------------------------------------------


def assignable_members(*, organization: Organization) -> QuerySet[Membership]:
    """Who can be given an item: active members who are not auditors."""
    return (
        Membership.objects.active()
        .filter(organization=organization)
        .exclude(role=Role.AUDITOR)
        .select_related("user")
        .order_by("user__email")
    )


def customer_choices(*, organization: Organization, include: Customer | None = None) -> QuerySet[Customer]:
    keep = Q(archived_at__isnull=True) | Q(pk=getattr(include, "pk", None))
    return Customer.objects.filter(organization=organization).filter(keep).order_by("name")


def contact_choices(
    *, organization: Organization, customer: Customer | None = None, include: Contact | None = None
) -> QuerySet[Contact]:
    """Live contacts (and `include`, the one already recorded); only the customer's own when a customer is given."""
    keep = Q(erased_at__isnull=True) | Q(pk=getattr(include, "pk", None))
    contacts = Contact.objects.filter(organization=organization).filter(keep)
    if customer is not None:
        contacts = contacts.filter(customer=customer)
    return contacts.select_related("customer").order_by("name")


def chosen_customer(*, organization: Organization, value: object, include: Customer | None = None) -> Customer | None:
    """The customer a form names by id (posted or in the query), when it is one the form offers."""
    try:
        pk = int(str(value))
    except ValueError:
        return None
    return customer_choices(organization=organization, include=include).filter(pk=pk).first()


def themes_for(*, organization: Organization) -> QuerySet[Theme]:
    return Theme.objects.filter(organization=organization).order_by("name")


def saved_views_for(*, organization: Organization, owner: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(organization=organization, owner=owner).order_by("name")
