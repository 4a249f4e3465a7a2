"""The in-memory Jira: plain dataclasses, so tests can assert on `emu.state` directly.

Field values inside `Issue.fields` are kept in an internal form independent of the REST
version: rich text is kept as given (an ADF dict from v3, a wiki string from v2) and converted
when rendered; users are kept by their key (`User.name`); options by their value; dates as ISO
strings; statuses, priorities, issue types and resolutions by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Flavor = Literal["cloud", "datacenter"]
FieldKind = Literal[
    "system",
    "text",
    "textarea",
    "select",
    "multiselect",
    "number",
    "date",
    "user",
    "epiclink",
    "labels",
]


@dataclass
class User:
    name: str
    email: str
    display_name: str
    account_id: str
    password: str | None = None
    api_token: str | None = None
    pat: str | None = None
    admin: bool = False
    active: bool = True
    time_zone: str = "Etc/UTC"


@dataclass
class StatusDef:
    id: str
    name: str
    category: str  # new | indeterminate | done


@dataclass
class TransitionDef:
    id: str
    name: str
    to: str  # status name
    sources: list[str] = field(default_factory=list)  # status names; empty = global


@dataclass
class Workflow:
    name: str
    statuses: list[str]
    initial: str
    transitions: list[TransitionDef]


@dataclass
class IssueType:
    id: str
    name: str
    description: str
    subtask: bool = False
    hierarchy_level: int = 0


@dataclass
class Priority:
    id: str
    name: str
    icon: str


@dataclass
class Resolution:
    id: str
    name: str
    description: str


@dataclass
class FieldDef:
    id: str
    name: str
    kind: FieldKind
    schema: dict[str, Any]
    custom: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (id, value)
    flavors: tuple[str, ...] = ("cloud", "datacenter")
    rich: bool = False  # rich text: ADF on v3, wiki on v2

    def option_by_value(self, value: str) -> tuple[str, str] | None:
        return next((o for o in self.options if o[1] == value), None)

    def option_by_id(self, option_id: str) -> tuple[str, str] | None:
        return next((o for o in self.options if o[0] == option_id), None)


@dataclass
class Project:
    id: str
    key: str
    name: str
    lead: str
    workflow: str
    issue_types: list[str]  # issue type ids
    screens: dict[str, list[str]]  # issue type name (or "default") -> field ids on the screen
    required: dict[str, list[str]] = field(default_factory=dict)  # issue type name -> field ids
    components: list[str] = field(default_factory=list)
    next_number: int = 1
    project_type: str = "software"

    def screen(self, issue_type_name: str) -> list[str]:
        return self.screens.get(issue_type_name, self.screens.get("default", []))

    def required_fields(self, issue_type_name: str) -> list[str]:
        return ["summary", *self.required.get(issue_type_name, self.required.get("default", []))]


@dataclass
class ChangeItem:
    field: str
    fieldtype: str
    field_id: str
    from_: str | None
    from_string: str | None
    to: str | None
    to_string: str | None
    account_ids: bool = False  # Cloud user fields carry tmpFromAccountId / tmpToAccountId


@dataclass
class ChangeGroup:
    id: str
    author: str
    created: datetime
    items: list[ChangeItem]


@dataclass
class Comment:
    id: str
    author: str
    body: Any  # ADF dict or wiki string
    created: datetime
    updated: datetime
    update_author: str


@dataclass
class RemoteLink:
    id: int
    global_id: str | None
    relationship: str | None
    object: dict[str, Any]
    application: dict[str, Any] = field(default_factory=dict)


@dataclass
class Issue:
    id: int
    key: str
    project: str  # project key
    fields: dict[str, Any]
    created: datetime
    updated: datetime
    status: str  # status id
    status_category_changed: datetime
    resolution: str | None = None
    resolution_date: datetime | None = None
    comments: list[Comment] = field(default_factory=list)
    changelog: list[ChangeGroup] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    remote_links: list[RemoteLink] = field(default_factory=list)
    changed_at: float = 0.0  # clock time of the last change (for the index lag)
    indexed: Issue | None = None  # the version search sees while the last change is unindexed
    ever_indexed: bool = False
    revision: int = 0  # bumped by every change (search keeps its documents by it)


@dataclass
class LinkType:
    id: str
    name: str
    inward: str
    outward: str


@dataclass
class IssueLink:
    id: str
    type_id: str
    inward: int  # issue id
    outward: int  # issue id


@dataclass
class Webhook:
    id: int
    name: str
    url: str
    events: list[str]
    jql: str | None = None
    secret: str | None = None
    enabled: bool = True
    exclude_body: bool = False


@dataclass
class State:
    flavor: Flavor
    base_url: str
    users: dict[str, User] = field(default_factory=dict)  # by name
    projects: dict[str, Project] = field(default_factory=dict)  # by key
    issue_types: dict[str, IssueType] = field(default_factory=dict)  # by id
    priorities: dict[str, Priority] = field(default_factory=dict)  # by id
    statuses: dict[str, StatusDef] = field(default_factory=dict)  # by id
    resolutions: dict[str, Resolution] = field(default_factory=dict)  # by id
    fields: dict[str, FieldDef] = field(default_factory=dict)  # by id
    workflows: dict[str, Workflow] = field(default_factory=dict)  # by name
    link_types: dict[str, LinkType] = field(default_factory=dict)  # by id
    issues: dict[int, Issue] = field(default_factory=dict)  # by id
    links: dict[str, IssueLink] = field(default_factory=dict)  # by id
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    next_ids: dict[str, int] = field(default_factory=dict)

    def next_id(self, kind: str, start: int = 10000) -> int:
        value = self.next_ids.get(kind, start)
        self.next_ids[kind] = value + 1
        return value

    # -- lookups -----------------------------------------------------------------------------
    def issue_by_ref(self, ref: str) -> Issue | None:
        if ref.isdigit():
            return self.issues.get(int(ref))
        upper = ref.upper()
        return next((i for i in self.issues.values() if i.key == upper), None)

    def project_by_ref(self, ref: str) -> Project | None:
        if ref.upper() in self.projects:
            return self.projects[ref.upper()]
        return next((p for p in self.projects.values() if p.id == ref), None)

    def user_by_account_id(self, account_id: str) -> User | None:
        return next((u for u in self.users.values() if u.account_id == account_id), None)

    def user_by_email(self, email: str) -> User | None:
        return next((u for u in self.users.values() if u.email.lower() == email.lower()), None)

    def status_by_name(self, name: str) -> StatusDef | None:
        return next((s for s in self.statuses.values() if s.name.lower() == name.lower()), None)

    def issue_type_by_name(self, name: str) -> IssueType | None:
        return next((t for t in self.issue_types.values() if t.name.lower() == name.lower()), None)

    def resolution_by_name(self, name: str) -> Resolution | None:
        return next((r for r in self.resolutions.values() if r.name.lower() == name.lower()), None)

    def priority_by_name(self, name: str) -> Priority | None:
        return next((p for p in self.priorities.values() if p.name.lower() == name.lower()), None)

    def field_by_name(self, name: str) -> FieldDef | None:
        lowered = name.lower()
        return next((f for f in self.fields.values() if f.name.lower() == lowered), None)

    def workflow_of(self, project_key: str) -> Workflow:
        return self.workflows[self.projects[project_key].workflow]

    def visible_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if self.flavor in f.flavors]
