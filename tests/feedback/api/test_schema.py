"""The OpenAPI schema still generates, without warnings, and documents the feedback endpoints."""

from django.core.management import call_command


def test_the_schema_generates_without_warnings_and_names_the_feedback_endpoints(db, tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for path in ("customers/", "customers/{id}/", "contacts/", "contacts/{id}/", "feedback/", "feedback/{id}/"):
        assert f"/api/v1/o/{{org_slug}}/{path}:" in schema
    assert "PatchedFeedbackUpdateInput" in schema and "CustomerKindEnum" in schema
