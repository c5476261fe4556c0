"""Every staff page renders for the roles that may see it."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/o/alpha/",
        "/o/alpha/settings/",
        "/o/alpha/settings/members/",
        "/o/alpha/audit/",
        "/o/alpha/settings/email/",
        "/o/alpha/settings/api-tokens/",
    ],
)
def test_an_owner_sees_each_organisation_page(alpha, login, path):
    response = login(alpha.owner).get(path)
    assert response.status_code == 200
    assert b"Alpha Instruments" in response.content
