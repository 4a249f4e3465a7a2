"""The repositories of running the service beside the pipeline, as Protocols (re-exported by
`services.ports`): API keys, the periodic jobs' lease rows, the processes' heartbeats, and the
report figures (read on their own snapshot, outside the writers' queue)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Protocol

from ticketbridge.domain.records import ApiKey, ProcessRecord, ScheduleRecord
from ticketbridge.domain.reports import (
    DayCount,
    DedupRow,
    Dimension,
    Drill,
    DurationRow,
    Period,
    PeriodName,
    ReportFilter,
    ReportRow,
    RouteCounts,
    TotalRow,
)


class ApiKeyRepository(Protocol):
    async def add(
        self,
        name: str,
        token_hash: str,
        scopes: Sequence[str],
        now: datetime,
        *,
        sources: Sequence[str] = ("generic",),
    ) -> ApiKey: ...

    async def by_hash(self, token_hash: str) -> ApiKey | None: ...

    async def touch(self, key_id: int, now: datetime) -> None: ...

    async def list(self) -> list[ApiKey]: ...

    async def revoke(self, key_id: int) -> bool: ...


class ScheduleRepository(Protocol):
    """Periodic jobs' lease rows (workers/scheduler.py)."""

    async def ensure(self, name: str, first_due: datetime) -> None: ...

    async def acquire(self, name: str, owner: str, now: datetime, lease_until: datetime) -> bool:
        """Take the job's lease when it is due and nobody holds an unexpired one."""
        ...

    async def finish(
        self, name: str, owner: str, *, now: datetime, ok: bool, outcome: str, next_due: datetime
    ) -> bool: ...

    async def list(self) -> list[ScheduleRecord]: ...


class ProcessRepository(Protocol):
    """Running processes' heartbeat rows (workers/heartbeat.py)."""

    async def beat(self, process: ProcessRecord) -> None: ...

    async def leave(self, name: str) -> None: ...

    async def forget(self, silent_since: datetime) -> int: ...

    async def list(self) -> list[ProcessRecord]: ...


class ReportRepository(Protocol):
    """The report figures, aggregated in the database (`storage.reports`, docs/metrics.md)."""

    async def route_counts(
        self, period: Period, where: ReportFilter, sla: Mapping[str, timedelta]
    ) -> list[RouteCounts]: ...

    async def backlog(
        self, period: Period, where: ReportFilter
    ) -> dict[PeriodName, dict[str, int]]: ...

    async def per_day(self, period: Period, where: ReportFilter) -> list[DayCount]: ...

    async def durations(
        self, period: Period, where: ReportFilter, dimensions: Sequence[Dimension]
    ) -> list[DurationRow]: ...

    async def totals(
        self, period: Period, where: ReportFilter, dimensions: Sequence[Dimension]
    ) -> list[TotalRow]: ...

    async def dedup(self, period: Period, where: ReportFilter) -> list[DedupRow]: ...

    async def dead_letters(self, period: Period, where: ReportFilter) -> dict[PeriodName, int]: ...

    async def rows(
        self,
        drill: Drill,
        period: Period,
        where: ReportFilter,
        sla: Mapping[str, timedelta],
        *,
        limit: int,
        before: int | None = None,
    ) -> list[ReportRow]:
        """The rows behind one figure, newest first (position < `before`)."""


ReportReader = Callable[[], AbstractAsyncContextManager[ReportRepository]]
"""Reports on one read snapshot, outside the writers' queue (storage.reports.report_reader)."""
