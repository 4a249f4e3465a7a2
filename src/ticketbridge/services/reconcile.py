"""Reconcile: what a lost webhook missed, repaired from Jira itself (two-way sync, SPEC §6).

One run (`Reconciler.run_once`):

1. searches our tickets' projects for issues `updated >= "<watermark − 2 min>"` — the date
   written in the API user's time zone, as Jira reads JQL dates, at minute precision, hence the
   margin — paged, keeping only issues we track and each (issue id, updated) once; the
   watermark is Jira's clock (`serverTime`) when the previous run's search began;
2. reads the changed issues and their history in bulk (`IssueObserver.observe`: on Cloud
   `issue/bulkfetch` and `changelog/bulkfetch`, never one GET per ticket) and hands the
   observations to the `ObservationSink` — the one place webhooks are applied too, so a stale
   or repeated observation changes nothing;
3. once a day asks which tracked issues still exist (search never shows a deletion) and
   observes the missing ones as deleted;
4. only then saves the watermark: a run that fails before its observations are applied leaves
   it where it was, so the next run looks again (rekor-monitor saved first and lost entries).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketbridge.clock import Clock
from ticketbridge.domain.observed import IssueObservation, ObservedVia
from ticketbridge.domain.reconcile import ReconcileMark, Tracked
from ticketbridge.providers.observing import ChangedIssue, IssueObserver
from ticketbridge.services.ports import ObservationSink

MARGIN = timedelta(minutes=2)  # JQL dates have minute precision; Jira's index lags a little
SWEEP_EVERY = timedelta(days=1)
FIRST_LOOKBACK = timedelta(days=1)  # a site's first run: what a day of lost webhooks missed
APPLY_BATCH = 100


class ReconcileStore(Protocol):
    async def load(self, site: str) -> ReconcileMark | None: ...

    async def save(self, mark: ReconcileMark) -> None: ...

    async def tracked(self, site: str) -> Tracked:
        """Tickets with an issue on `site` (or not bound to a site yet), not kept apart."""
        ...


Progress = Callable[[str, int, int], None]
"""(phase, done, total): `search`, `apply`, `sweep`."""


@dataclass
class ReconcileReport:
    site: str
    jql: str | None = None
    since: datetime | None = None
    searched: int = 0  # search hits, ours or not
    changed: int = 0  # our issues changed since the watermark, each (id, updated) once
    observed: list[IssueObservation] = field(default_factory=list)
    deleted: int = 0
    swept: bool = False
    outcomes: Counter[str] = field(default_factory=Counter)
    requests: int = 0  # requests made to Jira by this run
    watermark: datetime | None = None  # saved (or, on a dry run, that would be saved)
    dry_run: bool = False


def jql_date(moment: datetime, zone: str) -> str:
    """`moment` as a JQL date literal in `zone` (the API user's), floored to the minute."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def changed_jql(projects: Sequence[str], since: datetime, zone: str) -> str:
    scope = ", ".join(_quoted(p) for p in sorted(projects))
    return f'project in ({scope}) AND updated >= "{jql_date(since, zone)}" ORDER BY updated ASC'


class Reconciler:
    def __init__(
        self,
        store: ReconcileStore,
        observer: IssueObserver,
        sink: ObservationSink,
        site: Callable[[], Awaitable[str]],
        clock: Clock,
        *,
        margin: timedelta = MARGIN,
        sweep_every: timedelta = SWEEP_EVERY,
    ) -> None:
        self.store = store
        self.observer = observer
        self.sink = sink
        self._site = site
        self.clock = clock
        self.margin = margin
        self.sweep_every = sweep_every

    async def run_once(
        self,
        *,
        since: datetime | None = None,
        dry_run: bool = False,
        sweep: bool | None = None,
        progress: Progress | None = None,
    ) -> ReconcileReport:
        """One reconcile; `since` overrides the watermark (and observes again what the last
        run saw), `sweep` forces (True) or skips (False) the existence sweep, which otherwise
        runs once a day. A dry run reads and reports, applies and saves nothing."""
        first = self.observer.requests_sent
        site = await self._site()
        mark = await self.store.load(site) or ReconcileMark(site)
        tracked = await self.store.tracked(site)
        report = ReconcileReport(site, dry_run=dry_run, watermark=mark.watermark)
        now = self.clock()
        if tracked.issues:
            jira_now = await self.observer.server_time()  # before the search: nothing is lost
            start = since or mark.watermark or (jira_now or now) - FIRST_LOOKBACK
            report.since = start
            recent = {} if since is not None else mark.recent
            hits = await self._search(tracked, start - self.margin, recent, report, progress)
            await self._apply(hits, report, progress)
            if sweep if sweep is not None else _due(mark.swept_at, now, self.sweep_every):
                await self._sweep(tracked, now, report, progress)
            mark = self._advanced(mark, hits, jira_now, now, report.swept)
            report.watermark = mark.watermark
        report.requests = self.observer.requests_sent - first
        if not dry_run and tracked.issues:
            await self.store.save(mark)  # after the observations are applied, never before
        return report

    async def _search(
        self,
        tracked: Tracked,
        after: datetime,
        recent: Mapping[str, datetime],
        report: ReconcileReport,
        progress: Progress | None,
    ) -> list[ChangedIssue]:
        zone = await self.observer.time_zone()
        report.jql = changed_jql(tracked.projects, after, zone)
        seen: set[tuple[str, datetime]] = set()
        hits: list[ChangedIssue] = []
        token: str | None = None
        while True:
            page, token = await self.observer.changed(report.jql, token)
            report.searched += len(page)
            for hit in page:
                if hit.issue_id not in tracked.issues or recent.get(hit.issue_id) == hit.updated:
                    continue
                if (hit.issue_id, hit.updated) not in seen:
                    seen.add((hit.issue_id, hit.updated))
                    hits.append(hit)
            if progress is not None:
                progress("search", report.searched, report.searched + (1 if token else 0))
            if token is None:
                break
        report.changed = len(hits)
        return hits

    async def _apply(
        self, hits: Sequence[ChangedIssue], report: ReconcileReport, progress: Progress | None
    ) -> None:
        for start in range(0, len(hits), APPLY_BATCH):
            observations = await self.observer.observe(hits[start : start + APPLY_BATCH])
            await self._observe(observations, report)
            if progress is not None:
                progress("apply", min(start + APPLY_BATCH, len(hits)), len(hits))

    async def _sweep(
        self, tracked: Tracked, now: datetime, report: ReconcileReport, progress: Progress | None
    ) -> None:
        ids = sorted(tracked.issues)
        present = await self.observer.existing(ids)
        gone = [
            IssueObservation(
                issue_id=issue_id,
                issue_key=tracked.issues[issue_id],
                updated=now,
                via=ObservedVia.RECONCILE,
                deleted=True,
            )
            for issue_id in ids
            if issue_id not in present
        ]
        report.swept = True
        report.deleted = len(gone)
        await self._observe(gone, report)
        if progress is not None:
            progress("sweep", len(ids), len(ids))

    async def _observe(
        self, observations: Sequence[IssueObservation], report: ReconcileReport
    ) -> None:
        report.observed.extend(observations)
        if observations and not report.dry_run:
            report.outcomes.update(await self.sink.observe(observations))

    def _advanced(
        self,
        mark: ReconcileMark,
        hits: Sequence[ChangedIssue],
        jira_now: datetime | None,
        now: datetime,
        swept: bool,
    ) -> ReconcileMark:
        """The mark after this run: Jira's time when the search began (its clock, not ours),
        else the latest `updated` seen; and the issues observed inside the next run's margin."""
        seen = [h.updated for h in hits] + [t for t in (mark.watermark, jira_now) if t]
        watermark = max(seen) if seen else None
        recent = dict(mark.recent)
        recent.update({h.issue_id: h.updated for h in hits})
        if watermark is not None:
            floor = watermark - self.margin - timedelta(minutes=1)
            recent = {i: u for i, u in recent.items() if u >= floor}
        return replace(
            mark,
            watermark=watermark,
            swept_at=now if swept else mark.swept_at,
            recent=recent,
        )


def _due(last: datetime | None, now: datetime, every: timedelta) -> bool:
    return last is None or now - last >= every
