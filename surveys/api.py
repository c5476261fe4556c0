"""The surveys' API under /api/v1/o/<org_slug>/: surveys and their versions (read), sends (create, progress) and
the transactional invitation ("send this survey to this contact now", after an order is delivered), which is
a send of one contact.

A send goes through the same service as the survey's page, so it is checked (consent, the translation gate) and
audited the same way. The transactional endpoint is idempotent: a CRM that retries a call with the same
`Idempotency-Key` gets the first call's send back, and the contact is invited once.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from customers.api import customers_of, live_contacts_of
from customers.models import Contact
from qms.tenancy.api import OrganizationQuerysetMixin, OrganizationRelatedField, service_errors
from qms.tenancy.models import Organization
from qms.tenancy.requests import MemberApiRequest
from surveys.models import Question, Survey, SurveySend, SurveyVersion
from surveys.selectors.results import question_scores
from surveys.selectors.sends import progress_counts, send_progress, sends_with_progress
from surveys.services.sending import contacts_for, survey_send


def surveys_of(organization: Organization) -> QuerySet[Survey]:
    return Survey.objects.filter(organization=organization, is_template=False)


class QuestionOutput(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["code", "position", "kind", "text", "help_text", "required", "scale_max", "low_label", "high_label",
                  "choices", "new_page", "condition"]  # fmt: skip


class VersionOutput(serializers.ModelSerializer):
    questions = QuestionOutput(many=True, read_only=True)
    languages = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = SurveyVersion
        fields = ["number", "created_at", "locked_at", "languages", "texts", "translations", "questions"]


class SurveyOutput(serializers.ModelSerializer):
    versions = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = ["id", "reference", "name", "status", "privacy", "default_language", "anonymity_threshold",
                  "kept_attributes", "public_link_enabled", "invitation_days", "created_at", "updated_at",
                  "archived_at", "versions"]  # fmt: skip

    def get_versions(self, survey: Survey) -> list[int]:
        return [version.number for version in survey.versions.all()]


class SendOutput(serializers.ModelSerializer):
    survey: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    campaign = serializers.CharField(source="campaign_key", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = SurveySend
        fields = ["id", "survey", "version", "kind", "audience", "invited", "skipped", "expires_at",
                  "idempotency_key", "campaign", "created_at", "progress"]  # fmt: skip

    def get_progress(self, send: SurveySend) -> dict[str, int]:
        counted = {name: getattr(send, name, None) for name in progress_counts()}
        if None in counted.values():
            return send_progress(send)
        return {"invited": send.invited, **counted}  # type: ignore[dict-item]  # all counted above


class SurveyList(OrganizationQuerysetMixin, generics.ListAPIView):
    """The organisation's surveys, newest first."""

    actions = {"GET": "surveys.view"}
    model = Survey
    serializer_class = SurveyOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[Survey]:
        return surveys_of(organization).prefetch_related("versions").order_by("-created_at", "-pk")


class SurveyDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    actions = {"GET": "surveys.view"}
    model = Survey
    serializer_class = SurveyOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[Survey]:
        return surveys_of(organization).prefetch_related("versions")


class VersionDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    """One version of a survey with its questions and texts in every language, as its respondents saw it."""

    actions = {"GET": "surveys.view"}
    model = SurveyVersion
    serializer_class = VersionOutput
    lookup_field = "number"

    def organization_queryset(self, organization: Organization) -> QuerySet[SurveyVersion]:
        return (
            SurveyVersion.objects.filter(organization=organization, survey__pk=self.kwargs["survey_id"])
            .select_related("survey")
            .prefetch_related("questions")
        )


class SendList(OrganizationQuerysetMixin, generics.ListAPIView):
    """The survey's sends with their progress. Managers start one: a one-off send to chosen `contacts`, a
    `segment` or a `customer`'s contacts, or a transactional invitation of one `contact` now (after an order is
    delivered, a support case is closed). Give an `Idempotency-Key` header (or `idempotency_key`): a retry with
    the same key answers the first send (200) and invites nobody again, so a CRM retrying a call never sends twice.
    `campaign` is accepted for the campaigns to come and kept on the send."""

    actions = {"GET": "surveys.view", "POST": "surveys.send"}
    model = SurveySend
    serializer_class = SendOutput

    class SendInput(serializers.Serializer):
        contact = OrganizationRelatedField(noun="contact", rows=live_contacts_of, required=False)
        contacts = serializers.ListField(
            child=OrganizationRelatedField(noun="contact", rows=live_contacts_of), required=False, max_length=10000
        )
        segment = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        customer = OrganizationRelatedField(
            noun="customer", rows=customers_of, required=False, allow_null=True, default=None
        )
        idempotency_key = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        campaign = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            audiences = [
                bool(data.get("contact")),
                bool(data.get("contacts") or data.get("segment") or data.get("customer")),
            ]
            if not any(audiences):
                raise serializers.ValidationError(
                    "Name one contact, or the contacts, a segment or a customer to send to."
                )
            if all(audiences):
                raise serializers.ValidationError(
                    "Name one contact (a transactional invitation) or an audience, not both."
                )
            return data

    def survey(self) -> Survey:
        return get_object_or_404(surveys_of(self.request.organization), pk=self.kwargs["survey_id"])  # type: ignore[attr-defined]  # set by the middleware

    def organization_queryset(self, organization: Organization) -> QuerySet[SurveySend]:
        return sends_with_progress(organization=organization).filter(survey__pk=self.kwargs["survey_id"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.survey()  # another organisation's survey is a 404, not an empty list
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=SendInput,
        responses={201: SendOutput, 200: SendOutput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request: MemberApiRequest, survey_id: int, **kwargs: Any) -> Response:
        sent = request.data  # parsed first: a body no parser accepts is a 400 on any survey
        survey = self.survey()  # then another organisation's survey is a 404, whatever the body holds
        body = self.SendInput(data=sent, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        key = (request.headers.get("Idempotency-Key") or data["idempotency_key"]).strip()[:200]
        if key and (earlier := self._earlier(request.organization, key)) is not None:
            return Response(self.get_serializer(earlier).data, status=status.HTTP_200_OK)
        with service_errors():
            try:
                send = self._send(request, survey, data, key)
            except ValidationError:
                earlier = self._earlier(request.organization, key) if key else None
                if earlier is None:  # not a retry that raced the first call: the service's refusal stands
                    raise
                return Response(self.get_serializer(earlier).data, status=status.HTTP_200_OK)
        return Response(self.get_serializer(send).data, status=status.HTTP_201_CREATED)

    def _send(self, request: MemberApiRequest, survey: Survey, data: dict[str, Any], key: str) -> SurveySend:
        organization = request.organization
        common = {"survey": survey, "actor": request.user, "idempotency_key": key, "campaign_key": data["campaign"]}
        if data.get("contact"):
            contact: Contact = data["contact"]
            contacts = contacts_for(organization=organization, contact_ids=[contact.pk])
            return survey_send(
                contacts=contacts, audience={"contact": contact.pk}, kind=SurveySend.Kind.TRANSACTIONAL, **common
            )
        chosen = [c.pk for c in data.get("contacts") or []]
        customer_id = data["customer"].pk if data["customer"] else None
        contacts = contacts_for(
            organization=organization, contact_ids=chosen, segment=data["segment"], customer_id=customer_id
        )
        audience = {"contacts": len(chosen), "segment": data["segment"], "customer": customer_id}
        return survey_send(contacts=contacts, audience=audience, **common)

    def _earlier(self, organization: Organization, key: str) -> SurveySend | None:
        return sends_with_progress(organization=organization).filter(idempotency_key=key).first()


class SendDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    """One send and its progress: invited, delivered, failed, waiting, answered, expired."""

    actions = {"GET": "surveys.view"}
    model = SurveySend
    serializer_class = SendOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[SurveySend]:
        return sends_with_progress(organization=organization)


class EstimateOutput(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    margin = serializers.FloatField(allow_null=True, help_text="Half the 95 % interval (its larger side)")
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    standard_error = serializers.FloatField(allow_null=True)
    too_few = serializers.BooleanField(help_text="Fewer answers than a score can rest on: show no number")


class QuestionScoreOutput(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    scale = serializers.ListField(child=serializers.IntegerField())
    n = serializers.IntegerField(help_text="Answers counted (0 when hidden)")
    hidden = serializers.BooleanField(help_text="An anonymous group under the survey's threshold: nothing shown")
    distribution = serializers.DictField(child=serializers.IntegerField(), help_text="score → answers")
    score = EstimateOutput(
        source="estimate",
        allow_null=True,
        help_text="NPS (−100…100), CSAT top-2-box % (Wilson interval) or a mean (t-interval), with the 95 % interval",
    )


class SummaryOutput(serializers.Serializer):
    questions = QuestionScoreOutput(many=True)


class SurveySummary(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    """Each scored question's distribution and score with its 95 % interval, over the survey's answers (the same
    question across versions while its kind and scale stay the same); an anonymous group under the threshold is
    hidden."""

    actions = {"GET": "surveys.view"}
    model = Survey
    serializer_class = SummaryOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[Survey]:
        return surveys_of(organization)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(SummaryOutput({"questions": question_scores(survey=self.get_object())}).data)


class SendSummary(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    """The scores of one send's answers, its invited audience the finite population of the intervals."""

    actions = {"GET": "surveys.view"}
    model = SurveySend
    serializer_class = SummaryOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[SurveySend]:
        return SurveySend.objects.filter(organization=organization).select_related("survey")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        send = self.get_object()
        return Response(SummaryOutput({"questions": question_scores(survey=send.survey, send=send)}).data)


urlpatterns = [
    path("surveys/", SurveyList.as_view(), name="api_surveys"),
    path("surveys/<int:pk>/", SurveyDetail.as_view(), name="api_survey"),
    path("surveys/<int:survey_id>/versions/<int:number>/", VersionDetail.as_view(), name="api_survey_version"),
    path("surveys/<int:survey_id>/sends/", SendList.as_view(), name="api_survey_sends"),
    path("surveys/<int:pk>/summary/", SurveySummary.as_view(), name="api_survey_summary"),
    path("sends/<int:pk>/", SendDetail.as_view(), name="api_send"),
    path("sends/<int:pk>/summary/", SendSummary.as_view(), name="api_send_summary"),
]
