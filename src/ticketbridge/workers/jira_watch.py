"""Saying once that Jira stopped answering, and once that it is back (issue 11).

A Jira that hangs, or refuses connections, fails every job with a timeout or a connection
error; the outbox retries them with backoff, and before this nothing said so. The watch sees the
outcome of every call the outbox makes to Jira (`JiraWatch.provider` wraps the provider) and
the dispatchers report what changed after each round (`report`):

- the first call that gets no answer starts an outage: one warning, with the backlog (jobs
  pending or running) and the error;
- the first call that gets an answer again — any HTTP answer, an error included — ends it: one
  line with how long Jira was away and the backlog left.

In between, nothing: a hung Jira costs one line, not one per job or per round. Only calls that
started after the last change count, so a request sent before the outage began that is answered
late does not end it, and one that was already waiting when Jira came back does not start a new
one. One watch serves all the dispatchers of a process.

"No answer" is a transport failure (timeout, connection refused or lost) or a gateway speaking
for an unreachable Jira (502, 503, 504); 429 and other errors are answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import structlog

from ticketbridge.domain import JobState
from ticketbridge.errors import JiraError, OutcomeUnknown, RateLimited, TransientError
from ticketbridge.providers.base import BulkResult, Provider
from ticketbridge.providers.delegating import DelegatingProvider
from ticketbridge.services import OutboxAdmin, UnitOfWorkFactory

log = structlog.get_logger(__name__)
T = TypeVar("T")
GATEWAY_STATUSES = frozenset({502, 503, 504})


def unanswered(error: JiraError) -> bool:
    """The request got no answer from Jira itself (see the module's docstring)."""
    if isinstance(error, RateLimited):
        return False
    if error.status is None:
        return isinstance(error, TransientError | OutcomeUnknown)
    return error.status in GATEWAY_STATUSES


@dataclass(frozen=True)
class _Change:
    down: bool
    at: datetime
    since: datetime  # when the outage began (== at for a start)
    error: str | None = None


class JiraWatch:
    """Whether Jira answers the outbox's calls, and what changed since the last report."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Callable[[], datetime], site: str = ""
    ) -> None:
        """`site`: the name of the Jira site (`jira.sites`) it watches, said in its lines;
        "" for the default site (lines as before sites)."""
        self._named = {"site": site} if site else {}
        self._jobs = OutboxAdmin(uow_factory, clock)
        self._clock = clock
        self._down_since: datetime | None = None
        self._epoch = 0  # bumped at each change; a call counts only if it started in this one
        self._unreported: list[_Change] = []
        self._reporting = asyncio.Lock()  # dispatchers report in turn: each change once

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def provider(self, inner: Provider) -> Provider:
        """`inner`, with the outcome of each call observed."""
        return _Watched(inner, self)

    async def observe(self, call: Awaitable[T]) -> T:
        """Await one provider call, noting whether Jira answered it."""
        epoch = self._epoch
        try:
            result = await call
        except JiraError as error:
            self._note(epoch, answered=not unanswered(error), error=error)
            raise
        if isinstance(result, BulkResult) and not result.created:
            # A bulk create reports a call that got no answer as each position's failure.
            errors = [e for e in result.failed.values() if isinstance(e, JiraError)]
            if errors and all(unanswered(e) for e in errors):
                self._note(epoch, answered=False, error=errors[0])
                return result
        self._note(epoch, answered=True)
        return result

    async def observe_failure(self, call: Awaitable[T]) -> T:
        """Await a call that is usually answered from a cache: only its failure says
        something about Jira now."""
        epoch = self._epoch
        try:
            return await call
        except JiraError as error:
            self._note(epoch, answered=not unanswered(error), error=error)
            raise

    async def report(self) -> None:
        """Log the changes seen since the last report (the dispatcher calls this after each
        round). The backlog is counted only when there is something to say."""
        if not self._unreported:
            return
        async with self._reporting:
            if not self._unreported:  # another dispatcher reported them meanwhile
                return
            backlog = await self._backlog()  # if the database fails, they wait for the next
            changes, self._unreported = self._unreported, []
        for change in changes:
            if change.down:
                log.warning(
                    "jira_not_answering",
                    detail="Jira does not answer: jobs wait and are retried with backoff",
                    backlog=backlog,
                    error=change.error,
                    **self._named,
                )
            else:
                log.info(
                    "jira_answering_again",
                    down_for_seconds=round((change.at - change.since).total_seconds(), 1),
                    backlog=backlog,
                    **self._named,
                )

    def _note(self, epoch: int, *, answered: bool, error: JiraError | None = None) -> None:
        if epoch != self._epoch or answered != self.down:
            return  # no change, or the call began before the last one
        now = self._clock()
        self._epoch += 1
        if answered:
            since, self._down_since = self._down_since or now, None
            self._unreported.append(_Change(down=False, at=now, since=since))
        else:
            self._down_since = now
            self._unreported.append(_Change(down=True, at=now, since=now, error=str(error)))

    async def _backlog(self) -> int:
        counts = await self._jobs.counts()
        return counts[JobState.PENDING] + counts[JobState.RUNNING]


class _Watched(DelegatingProvider):
    def __init__(self, inner: Provider, watch: JiraWatch) -> None:
        super().__init__(inner)
        self._watch = watch

    async def _around(self, call: Awaitable[T]) -> T:
        return await self._watch.observe(call)

    async def site_id(self) -> str:
        # Asked before every round and answered from the provider's cache once known: only a
        # failed ask (Jira down when the process starts) tells whether Jira answers.
        return await self._watch.observe_failure(self._inner.site_id())
