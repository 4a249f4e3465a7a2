"""The audit trail's use cases for the API and the CLI: reading the log (filters, keyset
paging, an alert's events), manual links (LINK_ADDED: the log is never edited), the key,
verify, prove and export (their own modules)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketbridge.clock import Clock
from ticketbridge.domain.audit import EventType, NewEvent, SealedEvent, Subject
from ticketbridge.domain.audit_decisions import SELF, event_link
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.audit_checkpoints import AuditKeys, Checkpointer, seal_pending
from ticketbridge.services.audit_export import AuditExport
from ticketbridge.services.audit_verify import AuditVerifier
from ticketbridge.services.ports import UnitOfWorkFactory

MAX_LINK_TEXT = 2000
_LINK_FIELDS = ("type", "externalId", "url", "summary", "status", "approver")


@dataclass(frozen=True)
class EventFilter:
    types: Sequence[str] = ()
    alert: str | None = None  # "<source>/<alert id>"
    ticket_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditTrail:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        keys: AuditKeys,
        checkpointer: Checkpointer,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self.keys = keys
        self.checkpointer = checkpointer
        self.verifier = AuditVerifier(uow_factory, keys, checkpointer)
        self.exporter = AuditExport(uow_factory, keys, checkpointer, self.verifier, clock)

    async def events(
        self, wanted: EventFilter, *, limit: int, after: int | None = None
    ) -> list[SealedEvent]:
        """In position order, after position `after` (keyset paging)."""
        for name in wanted.types:
            if name not in EventType.__members__:
                raise InputError("unknown event type", [Problem("type", f"{name!r}")])
        await seal_pending(self._uow)
        async with self._uow() as uow:
            return await uow.audit.query(
                limit=limit,
                after=after,
                types=wanted.types,
                alert=wanted.alert,
                ticket_key=wanted.ticket_key,
                since=wanted.since,
                until=wanted.until,
            )

    async def explain(self, alert: str, *, limit: int = 1000) -> list[SealedEvent]:
        """Every event about the alert "<source>/<id>", in order."""
        return await self.events(EventFilter(alert=alert), limit=limit)

    async def add_link(self, event_id: str, link: Mapping[str, Any]) -> str | None:
        """A LINK_ADDED event tying `link` (Audital's shape: type, externalId, url, …) to the
        event; its id, or None when there is no such event."""
        checked = _checked_link(link)
        async with self._uow() as uow:
            target = await uow.audit.event(event_id)
            if target is None:
                return None
            key = checked["externalId"] if checked["type"] == "JIRA_TICKET" else None
            added = NewEvent(
                EventType.LINK_ADDED,
                SELF,
                self._clock(),
                {"event": event_id, "link": checked, "manual": True},
                [event_link(event_id), checked],
                subject=Subject(alert=target.subject.alert, ticket_key=key),
            )
            uow.audit.record([added])
            await uow.commit()
        return added.id


def _checked_link(link: Mapping[str, Any]) -> dict[str, str]:
    problems = [
        Problem(f"links.{name}", f"text of at most {MAX_LINK_TEXT} characters")
        for name, value in link.items()
        if name in _LINK_FIELDS and not (isinstance(value, str) and 0 < len(value) <= MAX_LINK_TEXT)
    ]
    problems += [Problem(f"links.{n}", "unknown field") for n in link if n not in _LINK_FIELDS]
    if "externalId" not in link:
        problems.append(Problem("links.externalId", "required"))
    if problems:
        raise InputError("invalid link", problems)
    return {"type": "JIRA_TICKET", **{k: str(v) for k, v in link.items()}}
