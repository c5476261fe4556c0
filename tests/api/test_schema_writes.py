"""The OpenAPI schema documents each write through a service by its input, and each operation by its own words."""

import pytest
import yaml
from django.core.management import call_command

from qms.tenancy.api import OrganizationQuerysetMixin
from qms.tenancy.api_writes import CreateThroughService, UpdateThroughService

PREFIX = "/api/v1/o/{org_slug}/"


@pytest.fixture(scope="module")
def schema(django_db_blocker, tmp_path_factory):
    target = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(target))
    return yaml.safe_load(target.read_text())


def _body(operation):
    return operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("path", "create", "update"),
    [
        ("customers/", "CustomerInput", "PatchedCustomerUpdateInput"),
        ("contacts/", "ContactInput", "PatchedContactUpdateInput"),
        ("feedback/", "FeedbackInput", "PatchedFeedbackUpdateInput"),
    ],
)
def test_a_create_takes_its_input_and_answers_201_and_a_patch_takes_its_partial_input(schema, path, create, update):
    post = schema["paths"][PREFIX + path]["post"]
    assert _body(post) == create
    assert list(post["responses"]) == ["201"]
    patch = schema["paths"][PREFIX + path + "{id}/"]["patch"]
    assert _body(patch) == update
    assert list(patch["responses"]) == ["200"]
    required = schema["components"]["schemas"][update].get("required", [])
    assert required == [], "a PATCH changes only the fields it sends"


def test_no_operation_is_described_by_a_docstring_of_the_shared_layer(schema):
    shared = [
        " ".join(cls.__doc__.split()[:6])
        for cls in (OrganizationQuerysetMixin, CreateThroughService, UpdateThroughService)
    ]
    descriptions = [
        " ".join(operation.get("description", "").split())
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
    ]
    assert all(phrase not in text for phrase in shared for text in descriptions)
    feedback_patch = schema["paths"][PREFIX + "feedback/{id}/"]["patch"]["description"]
    assert "staff only the items assigned to them" in feedback_patch
