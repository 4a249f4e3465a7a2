"""What keeps a create exactly once while it is under way (SPEC §4.5): the fingerprints'
creator leases, the deadline committed before the request, and the request cancelled at it.

The deadline is `Job.sent_until`: no create of the job is in flight after it, so an heir (a
worker taking the job over when its lease ends) looks the marker up a settle delay after it,
never while a slow create could still land in Jira after the lookup found nothing.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from ticketbridge.clock import Clock, Sleep
from ticketbridge.domain.records import Job
from ticketbridge.errors import OutcomeUnknown
from ticketbridge.services.ports import UnitOfWorkFactory

T = TypeVar("T")


class CreateLeases:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        lease: timedelta,
        clock: Clock,
        sleep: Sleep,
        owner: str,
    ) -> None:
        """`sleep` times the deadlines (tests: one that follows their virtual clock)."""
        self._uow = uow_factory
        self._lease = lease
        self._clock = clock
        self._sleep = sleep
        self._owner = owner

    async def take(
        self, jobs: Sequence[Job], fingerprints: Sequence[str], *, send: bool = False
    ) -> datetime | None:
        """The fingerprints' creator leases, in one transaction, until a lease from now; with
        `send`, that moment also recorded as the jobs' `sent_until` (and their leases' end),
        the deadline of the creates about to be sent. The deadline; None and nothing changed
        when any lease is held elsewhere."""
        now = self._clock()
        until = now + self._lease
        async with self._uow() as uow:
            if not await uow.tickets.acquire_leases(fingerprints, self._owner, now, until):
                return None  # rolled back: none of them taken
            ids = [job.id for job in jobs]
            if send and not await uow.outbox.mark_sent(ids, self._owner, now, until):
                return None
            await uow.commit()
        return until

    async def before(self, until: datetime, request: Awaitable[T]) -> T:
        """The create's answer, if it comes before `until`; else the request is cancelled
        and its outcome unknown. An heir looks the marker up only a settle delay after
        `until`: a create still under way then (a slow Jira, a round stalled on the
        database) would reach Jira after the lookup had found nothing, a duplicate."""
        if self._clock() >= until:
            # The round reached its send after the deadline (a stalled loop, a slow draft): the
            # heir may be looking the marker up already, so the create is not sent at all.
            if inspect.iscoroutine(request):
                request.close()
            raise OutcomeUnknown(f"not sent: its deadline {until:%H:%M:%S} had passed")
        call = asyncio.ensure_future(request)
        deadline = asyncio.ensure_future(self._sleep((until - self._clock()).total_seconds()))
        try:
            await asyncio.wait((call, deadline), return_when=asyncio.FIRST_COMPLETED)
        finally:
            deadline.cancel()
            call.cancel()  # a no-op once it is done; ours when this round itself is cancelled
        if call.done() and not call.cancelled():
            return call.result()
        await asyncio.gather(call, return_exceptions=True)  # its cancellation, whatever it says
        raise OutcomeUnknown(f"the create was still under way at its deadline {until:%H:%M:%S}")
