"""What Jira says about an issue, recorded on its ticket: the hook for two-way sync (webhooks,
reconciliation) to tell the pipeline an issue moved, so the next alert decides right."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ticketbridge.domain import AlertState, Ticket
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.services.settings import PipelineSettings

__all__ = ["IssueStateService"]


class IssueStateService:
    def __init__(self, uow_factory: UnitOfWorkFactory, settings: PipelineSettings) -> None:
        self._uow_factory = uow_factory
        self._settings = settings

    def outcome(self, resolution: str | None) -> AlertState:
        """A done issue's meaning, from its resolution name (`sync.resolutions`)."""
        if resolution is None:
            return AlertState.RESOLVED
        return self._settings.resolutions.get(resolution, AlertState.RESOLVED)

    async def record(
        self,
        issue_key: str,
        *,
        status_category: str,
        resolution: str | None,
        at: datetime,
    ) -> Ticket | None:
        """Record the issue's status category (new | indeterminate | done) and resolution as of
        `at`. Returns the updated ticket, or None when the issue is not one of ours."""
        async with self._uow_factory() as uow:
            ticket = await uow.tickets.by_issue_key(issue_key)
            if ticket is None:
                return None
            await uow.tickets.lock_fingerprints([ticket.fingerprint])
            ticket = await uow.tickets.by_issue_key(issue_key)
            assert ticket is not None
            done = status_category == "done"
            updated = replace(
                ticket,
                status_category=status_category,
                resolution=resolution if done else None,
                outcome=self.outcome(resolution) if done else None,
                done_at=(ticket.done_at if ticket.is_done else at) if done else None,
            )
            await uow.tickets.save_many([updated])
            await uow.commit()
            return updated
