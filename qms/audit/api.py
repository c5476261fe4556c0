from collections.abc import Sequence

from django.db.models import QuerySet
from rest_framework import generics, serializers

from qms.tenancy.api import OrganizationQuerysetMixin
from qms.tenancy.models import Organization
from qms.tenancy.requests import MemberApiRequest

from .filters import AuditEventFilter
from .models import AuditEvent
from .sealing import unseal_events
from .selectors import audit_events


class AuditEventOutput(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "seq",
            "created_at",
            "actor",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "prev_hash",
            "hash",
        ]


class AuditEventList(OrganizationQuerysetMixin, generics.ListAPIView):
    """The organisation's audit trail, newest first; filter by actor, object, action and date."""

    actions = {"GET": "audit.view"}

    request: MemberApiRequest
    model = AuditEvent
    serializer_class = AuditEventOutput
    filterset_class = AuditEventFilter

    def organization_queryset(self, organization: Organization) -> QuerySet[AuditEvent]:
        return audit_events(organization=organization)

    # DRF's is generic over any rows; this list's are always its events, unsealed (no values_list() rows here).
    def paginate_queryset(  # type: ignore[override]  # see above
        self, queryset: QuerySet[AuditEvent] | Sequence[AuditEvent]
    ) -> list[AuditEvent]:
        page = super().paginate_queryset(queryset)
        return unseal_events(organization=self.request.organization, events=page if page is not None else queryset)


class AuditEventDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    actions = {"GET": "audit.view"}
    request: MemberApiRequest
    model = AuditEvent
    serializer_class = AuditEventOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[AuditEvent]:
        return audit_events(organization=organization)

    def get_object(self) -> AuditEvent:
        event = super().get_object()
        unseal_events(organization=self.request.organization, events=[event])
        return event
