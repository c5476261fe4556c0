from django.db.models import QuerySet
from rest_framework import generics, serializers

from .api import OrganizationQuerysetMixin
from .filters import MemberFilter
from .models import Membership, Organization
from .selectors import members_for_organization


class MemberOutput(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "expires_at", "created_at"]


class MemberList(OrganizationQuerysetMixin, generics.ListAPIView):
    """Active members of the organisation, searched by name or email (`q`) and filtered by role, as on the page."""

    actions = {"GET": "members.view"}

    model = Membership
    serializer_class = MemberOutput
    filterset_class = MemberFilter

    def organization_queryset(self, organization: Organization) -> QuerySet[Membership]:
        return members_for_organization(organization=organization)


class MemberDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    actions = {"GET": "members.view"}
    model = Membership
    serializer_class = MemberOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[Membership]:
        return members_for_organization(organization=organization)
