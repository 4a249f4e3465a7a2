"""Tickets belong to the Jira site that holds them (issue 11, item 10).

An issue key names an issue on one site only: pointed at another site with the same store (a
test site, then production; a restored or migrated site), `OPS-1` is somebody else's issue.
So every ticket records the site its issue was created on (`Provider.site_id`, as Jira names
itself), and before the outbox writes anything it asks `SiteBinding.current()`:

- the store's tickets are all of the connection's site: go on (tickets made before sites were
  recorded are adopted by the first site seen, the only one they can have been made on);
- some belong to another site: `SiteChanged`, and nothing is written until the user decides —
  `rebind` (the issues moved here with their keys) or `separate` (keep the sites apart: those
  tickets are never written again, and their fingerprints' next alerts get fresh issues here).

The answer is kept per site id, so a round costs nothing once checked; a new connection (a
new provider) is checked again. With several sites configured (`jira.sites`), each binding
counts only its own site's tickets (`connections`: the `Ticket.connection` values it writes).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import structlog

from ticketbridge.errors import JiraError, SiteChanged
from ticketbridge.providers.base import Provider
from ticketbridge.services.ports import UnitOfWorkFactory

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SiteReport:
    """The connection's site and how many tickets (with an issue) each site holds."""

    current: str
    here: int
    others: dict[str, int]
    unbound: int  # made before sites were recorded

    @property
    def changed(self) -> bool:
        return bool(self.others)


class SiteBinding:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        provider: Provider,
        connections: Collection[str] | None = None,
    ) -> None:
        self._uow = uow_factory
        self._provider = provider
        self._connections = connections
        self._checked: str | None = None
        self._refused: str | None = None  # the refusal last logged (said once)

    @property
    def checked(self) -> str | None:
        """The site `current()` last found the store's tickets to belong to (no I/O)."""
        return self._checked

    async def report(self) -> SiteReport:
        current = await self._provider.site_id()
        async with self._uow() as uow:
            counts = await uow.tickets.sites(self._connections)
        # `sites` leaves detached tickets out: kept apart is decided, not waiting.
        others = {site: n for site, n in counts.items() if site is not None and site != current}
        return SiteReport(current, counts.get(current, 0), others, counts.get(None, 0))

    async def current_or_none(self) -> str | None:
        """`current()`, or None — nothing may be written now — while Jira does not answer (the
        outbox's watch says so) or the site changed (logged once, and once when it settles)."""
        try:
            site = await self.current()
        except SiteChanged as refused:
            if str(refused) != self._refused:
                log.error("jira_site_changed", error=str(refused), hint=refused.problems[0].message)
                self._refused = str(refused)
            return None
        except JiraError:
            return None
        if self._refused is not None:
            log.info("jira_site_settled", site=site)
            self._refused = None
        return site

    async def current(self) -> str:
        """The connection's site, once the store's tickets are known to be its own;
        `SiteChanged` while tickets of another site wait for the user's decision."""
        current = await self._provider.site_id()
        if self._checked == current:
            return current
        async with self._uow() as uow:
            counts = await uow.tickets.sites(self._connections)
            others = {s: n for s, n in counts.items() if s is not None and s != current}
            if others:
                raise SiteChanged(current, others)
            if counts.get(None):
                await uow.tickets.adopt_unbound(current, self._connections)
                await uow.commit()
        self._checked = current
        return current

    async def rebind(self) -> tuple[str, int]:
        """The other sites' tickets now belong to the connection's site; how many moved."""
        current = await self._provider.site_id()
        async with self._uow() as uow:
            moved = await uow.tickets.rebind_to(current, self._connections)
            await uow.commit()
        return current, moved

    async def separate(self) -> tuple[str, int]:
        """The other sites' tickets are kept apart; how many."""
        current = await self._provider.site_id()
        async with self._uow() as uow:
            kept_apart = await uow.tickets.detach_all_but(current, self._connections)
            await uow.commit()
        return current, kept_apart
