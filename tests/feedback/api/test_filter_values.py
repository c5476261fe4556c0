"""Filters on ids refuse values no id can have with a 400 that names the parameter (found by schemathesis: a
huge float as ?actor= was a 500), and a valid id of another organisation simply matches nothing."""

import pytest

from tests.factories import CustomerFactory

BAD_IDS = ["-1.5978807327918737e+298", "1.5", "abc", "0", "-3", "99999999999999999999"]
ID_FILTERS = [("audit-events/", "actor"), ("feedback/", "customer"), ("feedback/", "assignee"),
              ("feedback/", "theme"), ("contacts/", "customer")]  # fmt: skip


@pytest.mark.parametrize(("path", "name"), ID_FILTERS)
@pytest.mark.parametrize("value", BAD_IDS)
def test_a_value_no_id_can_have_is_a_400_naming_the_filter(alpha, api, path, name, value):
    response = api(alpha, "owner").get(path, {name: value})
    assert response.status_code == 400, response.content
    assert name in response.json()


@pytest.mark.parametrize(("path", "name"), [("feedback/", "customer"), ("contacts/", "customer")])
def test_another_organisation_s_id_matches_nothing(alpha, bravo, api, path, name):
    theirs = CustomerFactory(organization=bravo.organization)
    response = api(alpha, "owner").get(path, {name: theirs.pk})
    assert response.status_code == 200
    assert response.json()["results"] == []
