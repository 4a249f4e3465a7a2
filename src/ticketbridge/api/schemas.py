"""The HTTP API's response bodies (they are also what the API's ports return).

They are pydantic models so `/docs` shows them; handlers build them from the ports and never
from database rows.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ProblemBody(BaseModel):
    path: str = Field(description="Where: a dotted path into the request, `[i]` for list items.")
    message: str
    line: int | None = None


class ErrorBody(BaseModel):
    """Every error answer has this shape, whatever went wrong."""

    error: str = Field(description="A stable machine code: unauthorized, validation_failed, …")
    message: str = Field(description="What went wrong, for a human.")
    problems: list[ProblemBody] = Field(default_factory=list)


class TicketRef(BaseModel):
    key: str
    url: str | None = None


class IngestResult(BaseModel):
    index: int = Field(description="Position of the alert in the request.")
    source: str
    id: str = Field(description="The source's id of the alert (generated when absent).")
    fingerprint: str
    decision: str | None = Field(
        description="create, repeat, reopen, new_linked, resolve, suppress, ignore; null until "
        "the decider has decided (at once with `?wait=true`)"
    )
    reasons: list[str] = Field(default_factory=list)
    state: str
    ticket: TicketRef | None = Field(default=None, description="Once the issue exists.")
    duplicate: bool = Field(
        default=False, description="True when (source, id) was already stored: nothing changed."
    )
    ticket_error: str | None = Field(
        default=None, description="`?wait=ticket`: why the issue was not created (dead create)."
    )


class Waited(BaseModel):
    for_: str = Field(alias="for", description="What the answer waited for: `ticket`.")
    complete: bool = Field(description="False: the bound (10 s) came before every issue key.")
    note: str


class IngestResponse(BaseModel):
    accepted: int
    duplicates: int
    results: list[IngestResult]
    waited: Waited | None = Field(default=None, description="Only with `?wait=ticket`.")


class JiraState(BaseModel):
    """What Jira last told about the issue (two-way sync); absent until it told anything."""

    status_id: str | None = None
    status: str | None = Field(default=None, description="The name, for display only.")
    status_category: str | None = None
    resolution: str | None = None
    assignee_id: str | None = Field(default=None, description="accountId (Data Center: name)")
    assignee: str | None = None
    priority: str | None = None
    updated: datetime | None = Field(default=None, description="The newest change applied.")
    deleted_at: datetime | None = None


class SlaState(BaseModel):
    """The ticket's SLA clocks as the scheduler's last SLA scan found them."""

    state: str = Field(description="the worst clock: running, at_risk, breached or met")
    at_risk_at: datetime | None = Field(default=None, description="when it got at risk")
    breached_at: datetime | None = Field(default=None, description="when a budget was spent")


class AlertView(BaseModel):
    source: str
    id: str = Field(description="The source's id; unique per source.")
    kind: str
    title: str
    severity: str
    status: str = Field(description="The source's view: firing or resolved.")
    state: str = Field(description="open, ticketed, in_progress, resolved, suppressed, …")
    fingerprint: str
    decision: str | None = Field(description="null: accepted, not decided yet")
    reasons: list[str] = Field(default_factory=list)
    route: str | None = None
    ticket: TicketRef | None = None
    jira: JiraState | None = None
    received_at: datetime
    escalations: int = Field(default=0, description="its ticket's stale escalations so far")
    escalated_at: datetime | None = Field(default=None, description="the last escalation")
    sla: SlaState | None = Field(default=None, description="its ticket's SLA clocks")


class AlertList(BaseModel):
    items: list[AlertView] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page; null: last page."
    )


class TicketView(BaseModel):
    id: int
    fingerprint: str
    generation: int
    project: str
    ticket: TicketRef | None = Field(description="None until the issue is created.")
    state: str
    status_category: str | None = None
    resolution: str | None = None
    occurrences: int
    first_seen: datetime
    last_seen: datetime
    previous_issue_key: str | None = None
    jira: JiraState | None = None
    escalations: int = Field(default=0, description="stale escalations so far (sync.escalate)")
    escalated_at: datetime | None = Field(default=None, description="the last escalation")
    sla: SlaState | None = Field(default=None, description="SLA clocks; null: no SLA applies")


class TicketList(BaseModel):
    items: list[TicketView] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page; null: last page."
    )


class OutboxJobView(BaseModel):
    id: int
    kind: str
    state: str = Field(description="pending, running, done or dead.")
    ordering_key: str = Field(description="The fingerprint whose jobs run in order.")
    attempts: int
    last_error: str | None = Field(default=None, description="Jira's own messages.")
    hint: str | None = None
    created_at: datetime
    next_attempt_at: datetime


class OutboxList(BaseModel):
    items: list[OutboxJobView] = Field(description="Oldest first.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next (newer) page; null: last page."
    )


class ReadinessCheck(BaseModel):
    name: str
    ok: bool
    detail: str = ""


class ReadinessReport(BaseModel):
    ready: bool
    checks: list[ReadinessCheck]


class JiraConnectionView(BaseModel):
    """The Jira connection in use, never its secret."""

    configured: bool
    origin: str | None = Field(
        default=None, description="ticketbridge.yaml (wins) or stored (config jira / this API)."
    )
    flavor: str | None = None
    url: str | None = None
    auth_type: str | None = None
    user: str | None = Field(default=None, description="Email (Cloud) or username (basic).")
    project_key: str | None = None
    projects: list[str] = Field(default_factory=list)
    link_pattern: str | None = None
    capture_fields: list[str] | None = None


class JiraConnectionIn(BaseModel):
    """PUT /v1/integrations/jira: validated like `jira:` in ticketbridge.yaml."""

    flavor: str = "cloud"
    url: str
    auth: dict[str, str] = Field(
        description="{type: token, email, api_token} | {type: scoped_token, email, api_token} "
        "| {type: pat, token} | {type: basic, username, password} | {type: oauth1, "
        "consumer_key, private_key, access_token}; OAuth 2.0: `ticketbridge config jira --oauth`"
    )
    project_key: str | None = None
    projects: list[str] = Field(
        default_factory=list, description="projects the connection test must find"
    )
    link_pattern: str | None = Field(
        default=None, description="audit.link_pattern when ticketbridge.yaml sets none"
    )
    capture_fields: list[str] | None = None


class JiraTestReport(BaseModel):
    connected: bool = True
    user: str
    flavor: str
    deployment: str
    api_version: str
    version: str
    base_url: str
    projects: list[str]
