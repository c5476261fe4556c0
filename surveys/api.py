"""The surveys' API under /api/v1/o/<org_slug>/: surveys and their versions (read), sends (create, progress) and
the transactional invitation ("send this survey to this contact now", after an order is delivered), which is
a send of one contact, or, naming a campaign, adds the contact to it; responses (list with the responses page's
filters, read), each survey's and send's summary, and the follow-up rules of the closed loop (read, create, change).

A send goes through the same service as the survey's page, so it is checked (consent, the translation gate) and
audited the same way. The transactional endpoint is idempotent: a CRM that retries a call with the same
`Idempotency-Key` gets the first call's send back, and the contact is invited once.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from customers.api import customers_of, live_contacts_of
from customers.models import Contact
from qms.tenancy.api import OrganizationQuerysetMixin, OrganizationRelatedField, service_errors
from qms.tenancy.api_writes import CreateThroughService, UpdateThroughService
from qms.tenancy.models import Organization
from qms.tenancy.requests import MemberApiRequest
from surveys.filters import ResponseFilter
from surveys.models import Answer, Invitation, LoopRule, Question, Survey, SurveySend, SurveyVersion
from surveys.models import Response as SurveyResponse
from surveys.selectors.campaigns import next_wave_at
from surveys.selectors.results import question_scores
from surveys.selectors.sends import progress_counts, send_progress, sends_with_progress
from surveys.services.campaigns import campaign_for_api, campaign_join, outreach_rule, transactional_hold
from surveys.services.loop import assignable_users, loop_rule_create, loop_rule_update
from surveys.services.responses import answer_value
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


class CampaignMemberOutput(serializers.Serializer):
    """A contact named for a campaign by the transactional call: invited by the campaign's next wave."""

    campaign = serializers.CharField(help_text="The campaign's reference")
    contact = serializers.IntegerField()
    added = serializers.BooleanField(help_text="False when the contact was already waiting for the next wave")
    next_wave_at = serializers.DateTimeField(allow_null=True, help_text="When the next wave is due, if it is planned")


def _held(invitation: Invitation) -> str:
    day = formats.date_format(timezone.localtime(invitation.created_at, invitation.organization.zone()), "j F Y")
    return _(
        "This contact was sent a transactional survey on %(day)s; the contact rule allows one every %(days)s days."
    ) % {"day": day, "days": outreach_rule(invitation.organization).transactional_days}


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
    With a `campaign` (its reference, CMP-…, a campaign whose audience is "contacts added through the API"), the
    transactional call does not send now: the contact joins the campaign (202) and its next wave invites them, with
    the campaign's reminders, expiry and contact rule; a retry adds nothing (200). Without one, the organisation's
    contact rule for transactional sends holds: a contact sent a transactional survey within its days is not sent
    another (409, naming when)."""

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
        responses={201: SendOutput, 200: SendOutput, 202: CampaignMemberOutput, 409: None},
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
        if data.get("contact") and data["campaign"]:
            return self._join(request, survey, data)
        if data.get("contact") and (held := transactional_hold(contact=data["contact"])) is not None:
            return Response({"detail": _held(held)}, status=status.HTTP_409_CONFLICT)
        with service_errors():
            try:
                send = self._send(request, survey, data, key)
            except ValidationError:
                earlier = self._earlier(request.organization, key) if key else None
                if earlier is None:  # not a retry that raced the first call: the service's refusal stands
                    raise
                return Response(self.get_serializer(earlier).data, status=status.HTTP_200_OK)
        return Response(self.get_serializer(send).data, status=status.HTTP_201_CREATED)

    def _join(self, request: MemberApiRequest, survey: Survey, data: dict[str, Any]) -> Response:
        with service_errors():
            campaign = campaign_for_api(organization=request.organization, reference=data["campaign"])
            added = campaign_join(campaign=campaign, survey=survey, contact=data["contact"], actor=request.user)
        body = CampaignMemberOutput({"campaign": campaign.reference, "contact": data["contact"].pk, "added": added,
                             "next_wave_at": next_wave_at(campaign)}).data  # fmt: skip
        return Response(body, status=status.HTTP_202_ACCEPTED if added else status.HTTP_200_OK)

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


class FollowUpOutput(serializers.Serializer):
    item = serializers.CharField(source="item.reference", allow_null=True, help_text="The feedback item's reference")
    status = serializers.CharField(source="item.status", allow_null=True, help_text="new, in_progress or closed")
    assignee = serializers.EmailField(source="item.assignee.email", allow_null=True)


class ResponseOutput(serializers.ModelSerializer):
    survey: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    send: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    contact: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    answers = serializers.SerializerMethodField(help_text="question code → the score, the choices or the text")
    follow_up = serializers.SerializerMethodField()

    class Meta:
        model = SurveyResponse
        fields = ["id", "survey", "version", "send", "contact", "source", "language", "submitted_on", "submitted_at",
                  "attributes", "answers", "follow_up"]  # fmt: skip

    def get_answers(self, response: SurveyResponse) -> dict[str, Any]:
        return {answer.question.code: answer_value(answer, answer.question) for answer in response.answers.all()}

    @extend_schema_field(FollowUpOutput(allow_null=True))
    def get_follow_up(self, response: SurveyResponse) -> dict[str, Any] | None:
        follow_up = getattr(response, "follow_up", None)
        if follow_up is None:
            return None
        item = follow_up.item
        return {
            "item": item.reference if item else None,
            "status": item.status if item else None,
            "assignee": item.assignee.email if item and item.assignee else None,
        }


def responses_of(organization: Organization) -> QuerySet[SurveyResponse]:
    return (
        SurveyResponse.objects.filter(organization=organization)
        .select_related("version", "follow_up__item__assignee")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .order_by("-submitted_on", "-pk")
    )


class ResponseList(OrganizationQuerysetMixin, generics.ListAPIView):
    """A survey's responses, latest first, with their answers by question code and their follow-up; filtered as the
    responses page filters (`q`, `version`, `source`, `follow_up`, `answered_from`, `answered_to`). An anonymous
    survey's responses hold no contact and only their day."""

    actions = {"GET": "surveys.view"}
    model = SurveyResponse
    serializer_class = ResponseOutput
    filterset_class = ResponseFilter

    def organization_queryset(self, organization: Organization) -> QuerySet[SurveyResponse]:
        return responses_of(organization).filter(survey__pk=self.kwargs["survey_id"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        get_object_or_404(surveys_of(request.organization), pk=self.kwargs["survey_id"])  # type: ignore[attr-defined]  # set by the middleware
        return super().list(request, *args, **kwargs)


class ResponseDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    actions = {"GET": "surveys.view"}
    model = SurveyResponse
    serializer_class = ResponseOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[SurveyResponse]:
        return responses_of(organization)


class LoopRuleOutput(serializers.ModelSerializer):
    survey: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    assignee = serializers.EmailField(source="assignee.email", allow_null=True, read_only=True)

    class Meta:
        model = LoopRule
        fields = ["id", "survey", "question_code", "condition", "value", "assign_to", "assignee", "active",
                  "created_at", "updated_at"]  # fmt: skip


class LoopRuleInput(serializers.Serializer):
    question_code = serializers.CharField(max_length=40)
    condition = serializers.ChoiceField(choices=LoopRule.Condition.choices)
    value = serializers.CharField(max_length=200)
    assign_to = serializers.ChoiceField(choices=LoopRule.AssignTo.choices, default=LoopRule.AssignTo.ACCOUNT_OWNER)
    assignee = OrganizationRelatedField(
        noun="member", rows=lambda organization: assignable_users(organization=organization), required=False,
        allow_null=True, default=None,
    )  # fmt: skip


class LoopRuleUpdateInput(LoopRuleInput):
    active = serializers.BooleanField()


def loop_rules_of(organization: Organization) -> QuerySet[LoopRule]:
    return LoopRule.objects.filter(organization=organization, deleted_at__isnull=True).select_related(
        "assignee", "survey"
    )


class LoopRuleList(CreateThroughService, OrganizationQuerysetMixin, generics.ListAPIView):
    """The survey's follow-up rules. Managers add one: when a response's answer to `question_code` meets the
    `condition` with `value` (`at_most` 6 of an NPS, `contains` "late" of a text), a concern is opened in the
    feedback inbox for the customer's account owner (`assign_to: account_owner`, falling back to `assignee`) or for
    the named `assignee` (`assign_to: person`)."""

    actions = {"GET": "surveys.view", "POST": "surveys.manage"}
    create_input = LoopRuleInput
    model = LoopRule
    serializer_class = LoopRuleOutput

    def survey(self) -> Survey:
        return get_object_or_404(surveys_of(self.request.organization), pk=self.kwargs["survey_id"])  # type: ignore[attr-defined]  # set by the middleware

    def organization_queryset(self, organization: Organization) -> QuerySet[LoopRule]:
        return loop_rules_of(organization).filter(survey__pk=self.kwargs["survey_id"]).order_by("created_at", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.survey()
        return super().list(request, *args, **kwargs)

    def post(self, request: MemberApiRequest, *args: Any, **kwargs: Any) -> Response:
        request.data  # noqa: B018 - parsed first: a body no parser accepts is a 400 on any survey
        self.survey()  # then another organisation's survey is a 404, whatever the body holds
        return super().post(request, *args, **kwargs)

    def create(self, request: MemberApiRequest, data: dict[str, Any]) -> LoopRule:
        return loop_rule_create(survey=self.survey(), actor=request.user, **data)


class LoopRuleDetail(UpdateThroughService, OrganizationQuerysetMixin, generics.RetrieveAPIView):
    """One follow-up rule. PATCH changes what it watches or whom it names; `active: false` pauses it."""

    actions = {"GET": "surveys.view", "PATCH": "surveys.manage"}
    update_input = LoopRuleUpdateInput
    model = LoopRule
    serializer_class = LoopRuleOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[LoopRule]:
        return loop_rules_of(organization)

    def update(self, request: MemberApiRequest, instance: LoopRule, data: dict[str, Any]) -> LoopRule:
        return loop_rule_update(rule=instance, actor=request.user, **data)


urlpatterns = [
    path("surveys/", SurveyList.as_view(), name="api_surveys"),
    path("surveys/<int:pk>/", SurveyDetail.as_view(), name="api_survey"),
    path("surveys/<int:survey_id>/versions/<int:number>/", VersionDetail.as_view(), name="api_survey_version"),
    path("surveys/<int:survey_id>/sends/", SendList.as_view(), name="api_survey_sends"),
    path("surveys/<int:pk>/summary/", SurveySummary.as_view(), name="api_survey_summary"),
    path("sends/<int:pk>/", SendDetail.as_view(), name="api_send"),
    path("sends/<int:pk>/summary/", SendSummary.as_view(), name="api_send_summary"),
    path("surveys/<int:survey_id>/responses/", ResponseList.as_view(), name="api_survey_responses"),
    path("responses/<int:pk>/", ResponseDetail.as_view(), name="api_response"),
    path("surveys/<int:survey_id>/follow-up-rules/", LoopRuleList.as_view(), name="api_loop_rules"),
    path("follow-up-rules/<int:pk>/", LoopRuleDetail.as_view(), name="api_loop_rule"),
]
