"""The feedback inbox's API under /api/v1/o/<org_slug>/: feedback items.

Every write goes through the same service as the staff pages, so it is validated and audited the same way. An
id in a request body must name a row of the URL's organisation: anything else is a 400, never a link across
organisations.
"""

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied

from customers.api import customers_of, live_contacts_of
from feedback.filters import FeedbackFilter
from feedback.models import FeedbackItem, Theme
from feedback.selectors.inbox import can_triage, feedback_items
from feedback.services.inbox import feedback_create, feedback_set_sentiment, feedback_update
from qms.tenancy.api import (
    OrganizationQuerysetMixin,
    OrganizationRelatedField,
    api_membership,
)
from qms.tenancy.api_writes import CreateThroughService, UpdateThroughService
from qms.tenancy.models import Organization
from qms.tenancy.requests import MemberApiRequest

# --- feedback -----------------------------------------------------------------------------------------------


class FeedbackOutput(serializers.ModelSerializer):
    themes: "serializers.SlugRelatedField[Theme]" = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name"
    )
    transitions = serializers.SerializerMethodField(help_text="What the token's member may do to the item now.")

    class Meta:
        model = FeedbackItem
        fields = [
            "id",
            "reference",
            "channel",
            "kind",
            "status",
            "customer",
            "contact",
            "submitter_name",
            "submitter_email",
            "product",
            "received_on",
            "text",
            "assignee",
            "themes",
            "sentiment",
            "closing_note",
            "closed_at",
            "converted_to",
            "created_at",
            "updated_at",
            "transitions",
        ]

    def get_transitions(self, item: FeedbackItem) -> list[str]:
        request = self.context.get("request")
        membership = api_membership(request) if request is not None else None
        if membership is None or not can_triage(membership, item):
            return []
        return [transition.name for transition in FeedbackItem.workflow.available(item, membership)]


class FeedbackList(CreateThroughService, OrganizationQuerysetMixin, generics.ListAPIView):
    """The feedback inbox, newest first. Staff and above record feedback; its channel defaults to `api`."""

    actions = {"GET": "feedback.view", "POST": "feedback.record"}

    class FeedbackInput(serializers.Serializer):
        channel = serializers.ChoiceField(choices=FeedbackItem.Channel.choices, default=FeedbackItem.Channel.API)
        kind = serializers.ChoiceField(choices=FeedbackItem.Kind.choices)
        text = serializers.CharField()
        customer = OrganizationRelatedField(noun="customer", rows=customers_of, allow_null=True, default=None)
        contact = OrganizationRelatedField(noun="contact", rows=live_contacts_of, allow_null=True, default=None)
        submitter_name = serializers.CharField(max_length=200, allow_blank=True, default="")
        submitter_email = serializers.EmailField(max_length=254, allow_blank=True, default="")
        product = serializers.CharField(max_length=200, allow_blank=True, default="")
        received_on = serializers.DateField(allow_null=True, default=None)

    create_input = FeedbackInput
    model = FeedbackItem
    serializer_class = FeedbackOutput
    filterset_class = FeedbackFilter

    def organization_queryset(self, organization: Organization) -> QuerySet[FeedbackItem]:
        return feedback_items(organization=organization)

    def create(self, request: MemberApiRequest, data: dict[str, Any]) -> FeedbackItem:
        return feedback_create(organization=request.organization, actor=request.user, **data)


class FeedbackDetail(UpdateThroughService, OrganizationQuerysetMixin, generics.RetrieveAPIView):
    """One item. PATCH corrects what was recorded: managers change any item, staff only the items assigned to them."""

    actions = {"GET": "feedback.view", "PATCH": "feedback.triage"}

    class FeedbackUpdateInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=FeedbackItem.Kind.choices)
        product = serializers.CharField(max_length=200, allow_blank=True)
        text = serializers.CharField()
        sentiment = serializers.ChoiceField(choices=FeedbackItem.Sentiment.choices, allow_blank=True)
        customer = OrganizationRelatedField(noun="customer", rows=customers_of, allow_null=True)
        contact = OrganizationRelatedField(noun="contact", rows=live_contacts_of, allow_null=True)

    update_input = FeedbackUpdateInput
    model = FeedbackItem
    serializer_class = FeedbackOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[FeedbackItem]:
        return feedback_items(organization=organization)

    def check_update(self, request: MemberApiRequest, instance: FeedbackItem) -> None:
        if not can_triage(api_membership(request), instance):
            raise PermissionDenied(_("Only a manager or the person this item is assigned to can change it."))

    def update(self, request: MemberApiRequest, instance: FeedbackItem, data: dict[str, Any]) -> FeedbackItem:
        sentiment = data.pop("sentiment", None)  # a triage action of its own, audited as such
        item = instance
        if data:
            item = feedback_update(feedback=item, actor=request.user, **data)
        if sentiment is not None:
            item = feedback_set_sentiment(feedback=item, actor=request.user, sentiment=sentiment)
        return item


urlpatterns = [
    path("feedback/", FeedbackList.as_view(), name="api_feedback_list"),
    path("feedback/<int:pk>/", FeedbackDetail.as_view(), name="api_feedback"),
]
