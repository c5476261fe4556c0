"""The OpenAPI schema of the API (DRF's DEFAULT_SCHEMA_CLASS): drf-spectacular's, told two things it cannot see.

- An operation's description is the docstring the view's own module wrote (the view class's, or its handler
  method's when the class defines one), never one inherited from the shared layer, which describes internals.
- A write through a service (qms.tenancy.api_writes) takes the view's `create_input` (POST, answered 201) or
  `update_input` (PATCH) as its body, not the output serializer.

And one hook (SPECTACULAR_SETTINGS' POSTPROCESSING_HOOKS) mends what drf-spectacular writes, so that the document
passes a standard validator (tests/api/test_schema_validates.py).
"""

import inspect
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from rest_framework.request import Request

BODIES = {"POST": "create_input", "PATCH": "update_input"}


class ApiSchema(AutoSchema):
    def get_description(self) -> str:  # type: ignore[override]  # drf-spectacular narrows DRF's signature itself
        view_class = type(self.view)
        handler = view_class.__dict__.get(self.method.lower())
        own = (handler.__doc__ if handler is not None else None) or view_class.__dict__.get("__doc__")
        return inspect.cleandoc(own) if own else ""

    def get_request_serializer(self) -> Any:
        body = BODIES.get(self.method)
        if body and hasattr(self.view, body):
            return getattr(self.view, body)
        return super().get_request_serializer()

    def _is_create_operation(self) -> bool:
        return (self.method == "POST" and hasattr(self.view, "create_input")) or super()._is_create_operation()


def hoist_branch_defaults(
    result: dict[str, Any], generator: SchemaGenerator, request: Request | None, public: bool
) -> dict[str, Any]:
    """Move a `default` out of a `oneOf` branch onto the property itself.

    drf-spectacular writes a blank-allowed email field as oneOf [a string of format email, an empty string], and
    leaves the field's default ('') in the email branch, where validators reject it ('' is not an email); on the
    property, it matches the empty-string branch, as it does in the API.
    """
    stack: list[Any] = [result]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for branch in node.get("oneOf", ()):
                if isinstance(branch, dict) and "default" in branch:
                    node.setdefault("default", branch.pop("default"))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return result
