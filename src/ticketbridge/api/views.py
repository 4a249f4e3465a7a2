"""The services' read models → the API's response bodies (one place, used by API and CLI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from ticketbridge.api import schemas
from ticketbridge.services import AlertView, IngestResult, JobView, TicketView
from ticketbridge.services.queries import JiraView, Page, SlaView

_Listing = TypeVar("_Listing", bound=BaseModel)
_Item = TypeVar("_Item")


def listing(model: type[_Listing], page: Page[_Item], body: Callable[[_Item], object]) -> _Listing:
    """A list route's answer: each item of the page as `body` shows it, and `next_cursor`."""
    return model(items=[body(item) for item in page.items], next_cursor=page.next_cursor)


def _ref(key: str | None, url: str | None) -> schemas.TicketRef | None:
    return schemas.TicketRef(key=key, url=url) if key else None


def ingest_dict(index: int, result: IngestResult) -> dict[str, object]:
    """One element of POST /v1/alerts' answer (`schemas.IngestResult`, documented in OpenAPI),
    built as a plain dict: the hot path answers up to 1,000 of these per request."""
    key = result.ticket_key
    answer: dict[str, object] = {
        "index": index,
        "source": result.source,
        "id": result.alert_id,
        "fingerprint": result.fingerprint,
        "decision": result.decision.value if result.decision else None,
        "reasons": list(result.reasons),
        "state": result.state.value,
        "ticket": {"key": key, "url": result.ticket_url} if key else None,
        "duplicate": result.duplicate,
    }
    if result.ticket_error is not None:  # `?wait=ticket` only: the key will not come
        answer["ticket_error"] = result.ticket_error
    return answer


def alert_body(view: AlertView) -> schemas.AlertView:
    return schemas.AlertView(
        source=view.source,
        id=view.id,
        kind=view.kind,
        title=view.title,
        severity=view.severity,
        status=view.status,
        state=view.state.value,
        fingerprint=view.fingerprint,
        decision=view.decision.value if view.decision else None,
        reasons=list(view.reasons),
        route=view.route,
        ticket=_ref(view.ticket_key, view.ticket_url),
        jira=_jira(view.jira),
        received_at=view.received_at,
        escalations=view.escalations,
        escalated_at=view.escalated_at,
        sla=_sla(view.sla),
    )


def ticket_body(view: TicketView) -> schemas.TicketView:
    return schemas.TicketView(
        id=view.id,
        fingerprint=view.fingerprint,
        generation=view.generation,
        project=view.project,
        ticket=_ref(view.issue_key, view.issue_url),
        state=view.state.value,
        status_category=view.status_category,
        resolution=view.resolution,
        occurrences=view.occurrences,
        first_seen=view.first_seen,
        last_seen=view.last_seen,
        previous_issue_key=view.previous_issue_key,
        jira=_jira(view.jira),
        escalations=view.escalations,
        escalated_at=view.escalated_at,
        sla=_sla(view.sla),
    )


def _sla(view: SlaView | None) -> schemas.SlaState | None:
    return schemas.SlaState(**view.__dict__) if view is not None else None


def _jira(view: JiraView | None) -> schemas.JiraState | None:
    return schemas.JiraState(**view.__dict__) if view is not None else None


def job_body(view: JobView) -> schemas.OutboxJobView:
    return schemas.OutboxJobView(
        id=view.id,
        kind=view.kind.value,
        state=view.state.value,
        ordering_key=view.ordering_key,
        attempts=view.attempts,
        last_error=view.last_error,
        hint=view.hint,
        created_at=view.created_at,
        next_attempt_at=view.next_attempt_at,
    )
