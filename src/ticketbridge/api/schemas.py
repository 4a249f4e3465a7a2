"""The HTTP API's response bodies (they are also what the API's ports return).

They are pydantic models so `/docs` shows them; handlers build them from the ports and never
from database rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AlertList",
    "AlertView",
    "ErrorBody",
    "IngestResponse",
    "IngestResult",
    "OutboxJobView",
    "OutboxList",
    "ProblemBody",
    "ReadinessCheck",
    "ReadinessReport",
    "TicketList",
    "TicketRef",
    "TicketView",
]


class ProblemBody(BaseModel):
    path: str = Field(description="Where: a dotted path into the request, `[i]` for list items.")
    message: str
    line: int | None = None


class ErrorBody(BaseModel):
    """Every error answer has this shape, whatever went wrong."""

    error: str = Field(description="A stable machine code: unauthorized, validation_failed, …")
    message: str = Field(description="What went wrong, for a human.")
    problems: list[ProblemBody] = Field(default_factory=list)


class IngestResult(BaseModel):
    index: int = Field(description="Position of the alert in the request.")
    id: str = Field(description="ticketbridge's id of the stored alert.")
    source: str
    source_id: str = Field(description="The source's own id (generated when absent).")
    fingerprint: str
    state: str
    decision: str | None = Field(
        default=None, description="The decision, when it was taken at ingest; see GET /v1/alerts."
    )
    duplicate: bool = Field(
        default=False, description="True when (source, id) was already stored: nothing new."
    )


class IngestResponse(BaseModel):
    accepted: int
    duplicates: int
    results: list[IngestResult]


class TicketRef(BaseModel):
    key: str
    url: str


class AlertView(BaseModel):
    id: str
    source: str
    source_id: str
    kind: str
    title: str
    severity: str
    status: str = Field(description="The source's view: firing or resolved.")
    state: str = Field(description="open, ticketed, in_progress, resolved, suppressed, …")
    fingerprint: str
    decision: str | None = None
    reasons: list[str] = Field(default_factory=list)
    route: str | None = None
    ticket: TicketRef | None = None
    occurred_at: datetime | None = None
    received_at: datetime | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class AlertList(BaseModel):
    items: list[AlertView]
    next_after: str | None = Field(description="Pass as `after` for the next page.")


class TicketView(BaseModel):
    key: str
    url: str
    fingerprint: str
    project: str | None = None
    state: str | None = None
    occurrences: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


class TicketList(BaseModel):
    items: list[TicketView]
    next_after: str | None


class OutboxJobView(BaseModel):
    id: str
    kind: str
    state: str = Field(description="pending, running, done or dead.")
    fingerprint: str | None = None
    issue_key: str | None = None
    attempts: int = 0
    last_error: str | None = None
    hint: str | None = None
    messages: list[str] = Field(default_factory=list, description="Jira's own messages.")
    created_at: datetime | None = None
    next_attempt_at: datetime | None = None


class OutboxList(BaseModel):
    items: list[OutboxJobView]
    next_after: str | None


class ReadinessCheck(BaseModel):
    name: str
    ok: bool
    detail: str = ""


class ReadinessReport(BaseModel):
    ready: bool
    checks: list[ReadinessCheck]
