import django_filters
from rest_framework import generics, serializers

from .api import OrganizationQuerysetMixin
from .models import Membership, Role
from .selectors import members_for_organization


class MemberOutput(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "expires_at", "created_at"]


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = Membership
        fields = []


class MemberList(OrganizationQuerysetMixin, generics.ListAPIView):
    """Active members of the organisation."""

    actions = {"GET": "members.view"}

    model = Membership
    serializer_class = MemberOutput
    filterset_class = MemberFilter

    def organization_queryset(self, organization):
        return members_for_organization(organization=organization)


class MemberDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    actions = {"GET": "members.view"}
    model = Membership
    serializer_class = MemberOutput

    def organization_queryset(self, organization):
        return members_for_organization(organization=organization)
