"""What reconcile reads from the issue tracker, as the services see it (two-way sync, SPEC §6).

`ChangedIssue` is one search hit: an issue that changed since the watermark, with its id, key
and `updated`. Reconcile deduplicates hits on (id, updated) and asks the tracker for their
observations in bulk. `raw` is the tracker's own record when the search already carried it
whole (Data Center searches with `expand=changelog`): opaque to the services.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ticketbridge.domain.observed import IssueObservation


@dataclass(frozen=True)
class ChangedIssue:
    issue_id: str
    issue_key: str
    updated: datetime
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


class IssueObserver(Protocol):
    """Reads for reconcile; every method is a handful of requests, never one per issue."""

    @property
    def requests_sent(self) -> int:
        """Requests made to the tracker so far (reconcile reports its own cost)."""
        ...

    async def time_zone(self) -> str:
        """The API user's time zone (IANA name): JQL date literals are read in it."""
        ...

    async def server_time(self) -> datetime | None:
        """Jira's own clock now (None: it does not say): the next run's window starts there, so
        a quiet site's window does not keep its last busy minutes forever."""
        ...

    async def changed(
        self, jql: str, page_token: str | None
    ) -> tuple[list[ChangedIssue], str | None]:
        """One page of issues matching `jql`, and the next page's token (None: the last)."""
        ...

    async def observe(self, changed: Sequence[ChangedIssue]) -> list[IssueObservation]:
        """The observations of `changed` (fields and history), in bulk. Issues gone since the
        search are left out (the existence sweep notices them)."""
        ...

    async def existing(self, issue_ids: Sequence[str]) -> set[str]:
        """Which of `issue_ids` still exist (search never shows deletions)."""
        ...
