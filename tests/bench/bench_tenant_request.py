"""Cost of a tenant-scoped API request (organisation resolution, transaction, scope + RLS setting, bearer
token, DRF) against a bare Django view running one hand-written SQL query for the same rows.

Run with `make bench`. Prints the ratio; no timing assertion (these machines are noisy).
"""

import time

from django.db import connection
from django.test import Client, override_settings

from qms.tenancy.models import Membership
from tests.conftest import as_owner
from tests.factories import ApiTokenFactory, MembershipFactory

ROUNDS = 300


def _timed(client, path, **headers):
    client.get(path, **headers)  # warm up
    start = time.perf_counter()
    for _ in range(ROUNDS):
        response = client.get(path, **headers)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200
    return elapsed / ROUNDS


@override_settings(ROOT_URLCONF="tests.bench.urls")
def test_bench_members_api_against_a_bare_view(alpha):
    MembershipFactory.create_batch(40, organization=alpha.organization)
    with alpha.context():
        owner_membership = Membership.objects.get(organization=alpha.organization, user=alpha.owner)
    ApiTokenFactory(membership=owner_membership, organization=alpha.organization, key="cl_bench-token")
    client = Client()
    with as_owner():  # the bare view reads without an organisation context: as the owner, whom the policy exempts
        bare = _timed(client, "/bench/bare/alpha/members/")
    api = _timed(client, "/api/v1/o/alpha/members/", HTTP_AUTHORIZATION="Bearer cl_bench-token")
    ratio = api / bare
    print(
        f"\n[bench] members API {api * 1000:.2f} ms/request, bare view {bare * 1000:.2f} ms/request, "
        f"ratio {ratio:.2f}x ({connection.vendor})"
    )
