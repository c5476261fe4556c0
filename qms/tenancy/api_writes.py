"""The API's writes: a POST that creates and a PATCH that changes a row, each through the module's service.

A module's list view mixes in CreateThroughService and names its `create_input` serializer and `create()`; its
detail view mixes in UpdateThroughService and names its `update_input` and `update()`. The body is validated at
the edge (400 naming the field), the service validates and audits as it does for a page, and a service's refusal
is a 400 with its message; nothing of a refused write stays. The OpenAPI operation documents the input
(qms.tenancy.api_schema).

Kept apart from qms.tenancy.api: DRF's view classes, which this imports, read the API settings that name
qms.tenancy.api's permission class when they are defined.
"""

from typing import Any, ClassVar

from django.db.models import Model
from rest_framework import serializers, status
from rest_framework.response import Response

from .api import service_errors
from .requests import MemberApiRequest


class CreateThroughService:
    """POST on a list: the body is validated by `create_input`, `create()` hands the validated data to the module's
    service (audited like a page's write), and the answer is the new row as the list shows it (201). A service's
    ValidationError is a 400 with its messages, and nothing of a refused write stays."""

    create_input: ClassVar[type[serializers.Serializer]]

    def create(self, request: MemberApiRequest, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def post(self, request: MemberApiRequest, *args: Any, **kwargs: Any) -> Response:
        body = self.create_input(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        with service_errors():
            instance = self.create(request, dict(body.validated_data))
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)  # type: ignore[attr-defined]  # a GenericAPIView's


class UpdateThroughService:
    """PATCH on a row: `check_update()` may refuse (403) before the body is read, the body is validated by
    `update_input` as a partial update (only the fields sent change), and `update()` hands them to the module's
    update service, which takes the changed fields as keyword arguments. The answer is the row as it now reads."""

    update_input: ClassVar[type[serializers.Serializer]]

    def check_update(self, request: MemberApiRequest, instance: Any) -> None:
        """Raise PermissionDenied when this member may not change this row (the route's action already passed)."""

    def update(self, request: MemberApiRequest, instance: Any, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def patch(self, request: MemberApiRequest, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]  # a GenericAPIView's
        self.check_update(request, instance)
        body = self.update_input(data=request.data, partial=True, context={"request": request})
        body.is_valid(raise_exception=True)
        with service_errors():
            self.update(request, instance, dict(body.validated_data))
        return Response(self.get_serializer(self.get_object()).data)  # type: ignore[attr-defined]  # a GenericAPIView's
