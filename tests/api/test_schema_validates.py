"""The OpenAPI document the API serves passes a standard validator (openapi-spec-validator), so strict client
generators accept it."""

import pytest
from django.test import Client
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError


def _schema() -> dict:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_served_schema_validates(db):
    try:
        validate(_schema())
    except OpenAPIValidationError as exc:
        pytest.fail(f"{exc.message} at {'/'.join(map(str, exc.absolute_path))}")


def test_a_blank_email_fields_default_is_on_the_field_not_on_its_email_branch(db):
    submitter_email = _schema()["components"]["schemas"]["FeedbackInput"]["properties"]["submitter_email"]
    assert submitter_email == {
        "oneOf": [{"type": "string", "format": "email", "maxLength": 254}, {"type": "string", "maxLength": 0}],
        "default": "",
    }
