"""The provider port: the narrow, typed interface the services use to talk to an issue tracker.

It is owned by its caller (the services), in the jiralert style: only the operations the
pipeline needs, in the pipeline's vocabulary. Values cross it as small immutable objects, rich
text as a `Document` (the provider renders it to ADF or wiki markup), and every failure as an
error of `ticketbridge.errors`. Implementations: `providers.fake.FakeProvider` (in memory) and
`providers.jira.JiraProvider` (Cloud and Data Center). One contract suite runs against both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from ticketbridge.domain import Flavor, StatusCategory
from ticketbridge.render.document import Document


@dataclass(frozen=True)
class Capabilities:
    flavor: Flavor
    api_version: str  # "3" on Cloud, "2" on Data Center
    rich_text: Literal["adf", "wiki"]
    bulk_create: bool
    max_bulk: int  # issues per /issue/bulk call (Jira: 50)
    reconcile_issues: bool  # search honours reconcileIssues (Cloud /search/jql)
    user_key: Literal["accountId", "name"]


@dataclass(frozen=True)
class Marker:
    """What makes a created issue findable again when its create's outcome is unknown.

    It travels in the create request as a label and as an issue property (SPEC §4.5).
    """

    fingerprint: str

    PROPERTY_KEY = "ticketbridge"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.fingerprint.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        return f"tb-{self.digest}"

    @property
    def property_value(self) -> dict[str, str]:
        return {"fingerprint": self.fingerprint, "marker": self.label}


@dataclass(frozen=True)
class User:
    display_name: str
    account_id: str | None = None  # Cloud
    name: str | None = None  # Data Center username
    email: str | None = None
    active: bool = True


@dataclass(frozen=True)
class IssueDraft:
    """Everything needed to create one issue. Names, not ids: the provider resolves them.

    `fields` holds custom fields keyed by id (`customfield_10100`) or display name, with plain
    values; the provider shapes each from the field's schema and drops (with a warning) what is
    not on the create screen.
    """

    project: str
    issue_type: str
    summary: str
    description: Document | None = None
    priority: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    assignee: str | None = None  # an email, accountId (Cloud) or username (DC)
    due_date: date | None = None
    parent: str | None = None  # epic / parent issue key
    fields: Mapping[str, Any] = field(default_factory=dict)
    marker: Marker | None = None
    # What the composer could not render for this alert and replaced with the default (a
    # template that failed): never sent as a field; the outbox records it on the alert.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssueUpdate:
    """A partial edit. None means "leave as is"; labels are added/removed, not replaced."""

    summary: str | None = None
    description: Document | None = None
    priority: str | None = None
    assignee: str | None = None
    due_date: date | None = None
    add_labels: tuple[str, ...] = ()
    remove_labels: tuple[str, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IssueRef:
    id: str
    key: str
    url: str  # the human "browse" URL


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory


@dataclass(frozen=True)
class Issue:
    id: str
    key: str
    url: str
    project: str
    issue_type: str
    summary: str
    status: Status
    resolution: str | None
    priority: str | None
    assignee: User | None
    labels: tuple[str, ...]
    created: datetime
    updated: datetime
    due_date: date | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)  # raw field values as Jira sent them


@dataclass(frozen=True)
class Comment:
    id: str
    body_text: str  # plain-text rendering of the body, for matching approvals
    author: User | None
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: Status


@dataclass(frozen=True)
class Project:
    id: str
    key: str
    name: str


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str
    subtask: bool = False


@dataclass(frozen=True)
class Priority:
    id: str
    name: str


@dataclass(frozen=True)
class FieldDef:
    """A field from /field: `schema_type` is Jira's schema.type (string, number, array, option,
    user, date, datetime, priority, …), `items` the array element type, `custom` the custom type
    key (e.g. com.atlassian.jira.plugin.system.customfieldtypes:textarea)."""

    id: str
    name: str
    custom: bool
    schema_type: str | None = None
    items: str | None = None
    custom_type: str | None = None


@dataclass(frozen=True)
class CreateMetaField:
    field: FieldDef
    required: bool
    allowed_values: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class SearchPage:
    issues: tuple[Issue, ...]
    next_page_token: str | None  # None when this was the last page


@dataclass(frozen=True)
class BulkResult:
    """Per input position: the created issue, or the error Jira gave for that element."""

    created: Mapping[int, IssueRef]
    failed: Mapping[int, Exception]


@dataclass(frozen=True)
class ServerInfo:
    base_url: str
    version: str
    deployment_type: str  # "Cloud" | "Server" | "DataCenter"


@runtime_checkable
class Provider(Protocol):
    """What the pipeline may ask of an issue tracker. Every method may raise `JiraError`s."""

    @property
    def capabilities(self) -> Capabilities: ...

    # issues
    async def create_issue(self, draft: IssueDraft) -> IssueRef: ...
    async def create_issues(self, drafts: Sequence[IssueDraft]) -> BulkResult: ...
    async def get_issue(self, key: str) -> Issue: ...
    async def update_issue(self, key: str, update: IssueUpdate) -> None: ...
    async def add_comment(self, key: str, body: Document) -> Comment: ...
    async def edit_comment(self, key: str, comment_id: str, body: Document) -> Comment: ...
    async def list_transitions(self, key: str) -> tuple[Transition, ...]: ...
    async def transition(
        self,
        key: str,
        transition_id: str,
        *,
        resolution: str | None = None,
        comment: Document | None = None,
    ) -> None: ...
    async def link_issues(self, link_type: str, inward_key: str, outward_key: str) -> None: ...
    async def add_remote_link(self, key: str, url: str, title: str) -> None: ...

    # finding
    async def find_by_markers(
        self, markers: Sequence[Marker], *, known_ids: Sequence[str] = ()
    ) -> dict[Marker, tuple[IssueRef, ...]]:
        """The issues carrying each marker's label (every marker given has an entry; one
        search for all of them: a dead worker's bulk is looked up at once)."""
        ...

    async def search(
        self, jql: str, *, page_token: str | None = None, page_size: int = 50
    ) -> SearchPage: ...

    # metadata (cached by implementations)
    async def server_info(self) -> ServerInfo: ...
    async def site_id(self) -> str: ...
    async def myself(self) -> User: ...
    async def projects(self) -> tuple[Project, ...]: ...
    async def issue_types(self, project: str) -> tuple[IssueType, ...]: ...
    async def priorities(self) -> tuple[Priority, ...]: ...
    async def statuses(self) -> tuple[Status, ...]: ...
    async def fields(self) -> tuple[FieldDef, ...]: ...
    async def create_meta(self, project: str, issue_type: str) -> tuple[CreateMetaField, ...]: ...
    async def find_user(self, query: str) -> User | None: ...

    async def aclose(self) -> None: ...
