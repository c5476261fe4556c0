"""What the isolation sweep (tests/tenancy/test_isolation_sweep.py) is made of, for the case modules to share.

Each app registers its organisation routes in the test modules its AppConfig names (`sweep_cases`), each with:
- `populate(tenant, marker) -> dict`: create rows of every kind the routes show, carrying `marker` in their text;
  the objects land in `world.extra` under the returned keys;
- `snapshot(tenant) -> dict`: everything a request to those routes could change, read inside the tenant's context;
- `CASES: dict[str, Case]`: one entry per route name.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from qms.accounts.models import ApiToken, Invitation
from qms.audit.models import AuditEvent
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Membership

GET, POST, GET_POST = ("GET",), ("POST",), ("GET", "POST")


@dataclass
class World:
    """One tenant with a row of every kind, each carrying the tenant's marker text."""

    tenant: object
    marker: str
    memberships: dict[str, Membership]
    invitation: Invitation
    message: OutboxMessage
    token: ApiToken
    event: AuditEvent
    owner_key: str
    auditor_key: str
    extra: dict = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.tenant.slug

    @property
    def secrets(self) -> tuple[str, ...]:
        """Text of this tenant that must never appear in another tenant's response."""
        return (self.tenant.organization.name, f"@{self.slug}.test", self.marker)

    def text(self, template: str) -> str:
        return template.format(name=self.tenant.organization.name, slug=self.slug, marker=self.marker)


@dataclass(frozen=True)
class Case:
    """How the sweep exercises one route.

    methods: what a permitted member may send; target: the kwargs naming one of a tenant's objects; form: a valid
    write body (so a missing check would really write); shows: text of the tenant's own rows a list must contain;
    owned_by: the role whose personal record the target is (a saved view): the role sweep expects 404 for others;
    redirects: a GET that is a way through to another page (following a notification to its record), not a page.
    """

    methods: tuple[str, ...] = GET
    target: Callable[[World], dict] | None = None
    form: Callable[[World], dict] = field(default=lambda w: {})
    shows: tuple[str, ...] = ()
    owned_by: str = ""
    redirects: bool = False
