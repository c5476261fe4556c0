"""Schemathesis, in-process: requests generated from the API's own OpenAPI schema (valid and invalid bodies, query
parameters of every type and size) against every operation, as a member with a bearer token. Whatever arrives,
the API answers with a status below 500: bad input is a 4xx that says what is wrong, never a crash."""

import json
import re
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from qms.tenancy.models import Membership
from tests.factories import ApiTokenFactory, ContactFactory, CustomerFactory, FeedbackItemFactory
from tests.surveys.builders import ONE_PAGE, add_rule, build_survey

CONFIG = SchemathesisConfig()
# Valid and invalid requests; the coverage phase adds the boundary and wrong-type values (a float for an id).
CONFIG.projects.default.generation.update(modes=list(GenerationMode), database="none")
CONFIG.projects.default.phases.update(phases=["examples", "coverage", "fuzzing"])
DOCUMENT = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
EXAMPLES = 25
AUTH = {"Authorization": "Bearer cl_fuzz-token"}


@pytest.fixture
def ids(alpha) -> dict[str, int]:
    """An id of a real row of the organisation for each resource, so updates are tried on real rows too, and the
    owner's token (checked to work: a fuzz run answered 401 throughout would prove nothing)."""
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization)
        contact = ContactFactory(customer=customer)
        item = FeedbackItemFactory(organization=alpha.organization, customer=customer, contact=contact)
        member = Membership.objects.get(organization=alpha.organization, user=alpha.manager)
        rule = add_rule(alpha, build_survey(alpha.organization, questions=ONE_PAGE))
        ApiTokenFactory(
            membership=Membership.objects.get(organization=alpha.organization, user=alpha.owner), key="cl_fuzz-token"
        )
    assert Client().get("/api/v1/o/alpha/customers/", headers=AUTH).status_code == 200
    return {
        "customers": customer.pk,
        "contacts": contact.pk,
        "feedback": item.pk,
        "members": member.pk,
        "follow-up-rules": rule.pk,
    }


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_the_api_fail_with_a_server_error(case, ids):
    case.path_parameters = {**(case.path_parameters or {}), "org_slug": "alpha"}
    if "id" in case.path_parameters:
        resource = case.path.split("/")[5]  # /api/v1/o/{org_slug}/<resource>/{id}/
        case.path_parameters["id"] = ids.get(resource, case.path_parameters["id"])
    request = case.as_transport_kwargs(base_url="http://testserver")
    path = request["url"].removeprefix("http://testserver")
    query = urlencode(request.get("params") or {}, doseq=True)
    body = request.get("json")
    content = json.dumps(body) if "json" in request else request.get("data") or ""
    response = Client().generic(
        request["method"],
        f"{path}?{query}" if query else path,
        data=content,
        content_type=request.get("headers", {}).get("Content-Type", "application/json"),
        headers=AUTH,
    )
    assert response.status_code < 500, f"{case.as_curl_command()}\n-> {response.status_code}"


# Bodies no generator from the schema would make, each refused by the JSON parser (qms/parsers.py) before a view
# sees it. Python's json module recurses once per level: a thousand "[" was a RecursionError, answered 500.
TOO_DEEP = {"detail": "The JSON body is nested more than 32 levels deep."}
HOSTILE_BODIES = {
    "a thousand [": "[" * 1000,
    "a thousand nested lists": "[" * 1000 + "]" * 1000,
    "objects nested 500 deep": '{"a": ' * 500 + "1" + "}" * 500,
    "one level past the bound": '{"name": ' + "[" * 32 + "]" * 32 + "}",
}
BODY_METHODS = ("post", "put", "patch")


def _operations() -> list[tuple[str, str]]:
    """(path, method) for every path of the schema and every method that sends a body, whether or not the path
    takes it (one that does not answers 405)."""
    return [(path, method) for path in DOCUMENT["paths"] for method in BODY_METHODS]


def _send(method: str, path: str, ids: dict[str, int], body: str):
    resource = path.split("/")[5]
    url = path.replace("{org_slug}", "alpha").replace("{id}", str(ids.get(resource, 1)))
    url = re.sub(r"\{\w+\}", "1", url)  # any other row named in the path (a survey's sends)
    return Client().generic(method.upper(), url, data=body, content_type="application/json", headers=AUTH)


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_deeply_nested_body_is_refused_with_400_by_every_operation(ids, body):
    for path, method in _operations():
        response = _send(method, path, ids, body)
        takes_a_body = "requestBody" in DOCUMENT["paths"][path].get(method, {})
        assert (response.status_code, response.json() if takes_a_body else "detail" in response.json()) == (
            (400, TOO_DEEP) if takes_a_body else (405, True)
        ), f"{method} {path}"


def test_a_body_nested_as_deep_as_the_bound_reaches_the_view(ids):
    response = _send("post", "/api/v1/o/{org_slug}/customers/", ids, '{"name": ' + "[" * 31 + "]" * 31 + "}")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]  # the serializer's answer: the parser let it through
