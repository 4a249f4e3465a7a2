"""What the admin UI needs from the rest of ticketbridge. The services serve it as they are
(`Accounts`, `Previews`, `AlertQueries`, `OutboxAdmin`, `ApiKeys`, the delivery log,
the audit trail, the reports); the Jira connection comes
through `JiraPage`, an adapter `bootstrap` builds over the same store and connection test the
API and `ticketbridge config jira` use. The values it answers are defined here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ticketbridge.services import AlertQueries, OutboxAdmin
from ticketbridge.services.accounts import Accounts
from ticketbridge.services.api_keys import ApiKeys
from ticketbridge.services.audit_service import AuditTrail
from ticketbridge.services.jira_deliveries import DeliveryLog
from ticketbridge.services.previews import Previews
from ticketbridge.services.reports import ReportService
from ticketbridge.services.stored_settings import StoredDefaults


@dataclass(frozen=True)
class ConnectionState:
    """The connection in effect, never its secret: `secret_hint` is its last 4 characters."""

    configured: bool
    origin: str | None = None  # "ticketbridge.yaml" wins and is read-only here
    flavor: str = "cloud"
    url: str = ""
    auth_type: str = "token"
    user: str = ""
    secret_hint: str | None = None
    project_key: str = ""
    read_only: bool = False
    # The other Jira sites of `jira.sites` (the connection above is the default site's).
    other_sites: tuple[SiteState, ...] = ()


@dataclass(frozen=True)
class SiteState:
    """Another Jira site of ticketbridge.yaml, shown read-only: never its secret."""

    name: str
    flavor: str
    url: str
    auth_type: str
    webhook_path: str  # where that site's Jira webhook points (on this server)


@dataclass(frozen=True)
class Check:
    """One line of Test Connection: green or red, and what to do when red."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class CheckReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


@dataclass(frozen=True)
class JiraUser:
    """A user to pick: `id` is what Jira references (accountId on Cloud, name on Data
    Center), `display_name` what people read."""

    id: str
    display_name: str


@dataclass(frozen=True)
class Metadata:
    """What the pickers offer, as Jira lists it (`error`: why there is nothing to pick)."""

    projects: list[tuple[str, str]] = field(default_factory=list)  # (key, name)
    issue_types: list[str] = field(default_factory=list)  # of the chosen project
    priorities: list[str] = field(default_factory=list)
    statuses: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, category)
    resolutions: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)  # of the chosen project
    labels: list[str] = field(default_factory=list)  # in use (Cloud lists them; DC: none)
    people: dict[str, str] = field(default_factory=dict)  # a user's id → display name
    fields: list[tuple[str, str]] = field(default_factory=list)  # custom fields (id, name)
    error: str | None = None


class JiraPage(Protocol):
    def current(self) -> ConnectionState: ...

    def save(self, values: Mapping[str, str]) -> ConnectionState:
        """Store the form's connection; a blank secret keeps the stored one. InputError or
        ConfigError names the fields."""
        ...

    async def test(self) -> CheckReport:
        """At most a handful of read requests; each check green or red with its fix."""
        ...

    async def metadata(self, project: str, users: Sequence[str] = ()) -> Metadata:
        """Projects, the issue types and components of `project`, the priorities, the
        statuses, the resolutions, the labels (Cloud), the custom fields and who each of
        `users` (ids: the assignees in use) is."""
        ...

    async def users(self, project: str, query: str) -> list[JiraUser]:
        """Users assignable in `project` whose name starts with `query` (one read)."""
        ...

    async def start_oauth(self, values: Mapping[str, str], ui_base: str) -> str:
        """ "Connect with Atlassian" (OAuth 2.0, 3LO): the URL to send the browser to; its
        callback comes back to the UI. InputError names the fields."""
        ...

    async def complete_oauth(self, state: str, code: str | None, error: str | None) -> str:
        """The site connected; InputError (a refused callback) or a Jira/HTTP error."""
        ...


class SyncParts(Protocol):
    """Of two-way sync, the delivery log the Deliveries page lists."""

    @property
    def deliveries(self) -> DeliveryLog: ...


class UiContainer(Protocol):
    @property
    def accounts(self) -> Accounts: ...
    @property
    def previews(self) -> Previews: ...
    @property
    def alerts(self) -> AlertQueries: ...
    @property
    def outbox(self) -> OutboxAdmin: ...
    @property
    def api_keys(self) -> ApiKeys: ...
    @property
    def ui_jira(self) -> JiraPage: ...
    @property
    def defaults(self) -> StoredDefaults: ...
    @property
    def sync(self) -> SyncParts: ...
    @property
    def trail(self) -> AuditTrail: ...
    @property
    def reports(self) -> ReportService: ...
