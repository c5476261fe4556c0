"""The feedback inbox's API under /api/v1/o/<org_slug>/: feedback items.

Every write goes through the same service as the staff pages, so it is validated and audited the same way. An
id in a request body must name a row of the URL's organisation: anything else is a 400, never a link across
organisations.
"""

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from customers.api import customers_of, live_contacts_of
from feedback.filters import FeedbackFilter
from feedback.models import FeedbackItem, Theme
from feedback.selectors.inbox import can_triage, feedback_items
from feedback.services.inbox import feedback_create, feedback_set_sentiment, feedback_update
from qms.tenancy.api import (
    OrganizationQuerysetMixin,
    OrganizationRelatedField,
    api_membership,
    service_errors,
)
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


class FeedbackList(OrganizationQuerysetMixin, generics.ListAPIView):
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

    model = FeedbackItem  # type: ignore[assignment]  # the mixin's `model = None` is unannotated (qms.tenancy.api)
    serializer_class = FeedbackOutput
    filterset_class = FeedbackFilter

    def organization_queryset(self, organization: Organization) -> QuerySet[FeedbackItem]:
        return feedback_items(organization=organization)

    @extend_schema(request=FeedbackInput, responses={201: FeedbackOutput})
    def post(self, request: MemberApiRequest, org_slug: str) -> Response:
        data = self.FeedbackInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        with service_errors():
            item = feedback_create(organization=request.organization, actor=request.user, **data.validated_data)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)


class FeedbackDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    actions = {"GET": "feedback.view", "PATCH": "feedback.triage"}

    class FeedbackUpdateInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=FeedbackItem.Kind.choices)
        product = serializers.CharField(max_length=200, allow_blank=True)
        text = serializers.CharField()
        sentiment = serializers.ChoiceField(choices=FeedbackItem.Sentiment.choices, allow_blank=True)
        customer = OrganizationRelatedField(noun="customer", rows=customers_of, allow_null=True)
        contact = OrganizationRelatedField(noun="contact", rows=live_contacts_of, allow_null=True)

    model = FeedbackItem  # type: ignore[assignment]  # the mixin's `model = None` is unannotated (qms.tenancy.api)
    serializer_class = FeedbackOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[FeedbackItem]:
        return feedback_items(organization=organization)

    @extend_schema(request=FeedbackUpdateInput, responses={200: FeedbackOutput})
    def patch(self, request: MemberApiRequest, org_slug: str, pk: int) -> Response:
        """Correct what was recorded. Managers change any item; staff only the items assigned to them."""
        item = self.get_object()
        if not can_triage(api_membership(request), item):
            raise PermissionDenied("Only a manager or the person this item is assigned to can change it.")
        data = self.FeedbackUpdateInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        sentiment = fields.pop("sentiment", None)
        with service_errors():
            if fields:
                item = feedback_update(feedback=item, actor=request.user, **fields)
            if sentiment is not None:
                item = feedback_set_sentiment(feedback=item, actor=request.user, sentiment=sentiment)
        return Response(self.get_serializer(self.get_object()).data)


urlpatterns = [
    path("feedback/", FeedbackList.as_view(), name="api_feedback_list"),
    path("feedback/<int:pk>/", FeedbackDetail.as_view(), name="api_feedback"),
]
