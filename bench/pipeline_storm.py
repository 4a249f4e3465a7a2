"""Alert storm: 100,000 alerts over 1,000 fingerprints → Jira requests per unique issue.

    .venv/bin/python bench/pipeline_storm.py [--alerts 100000] [--fingerprints 1000]
        [--batch 1000] [--url …] [--jira fake|emulator] [--bulk-min N] [--limits on|off]

Accept (batches), the decision loop and one in-process dispatcher run at once, as in `serve`.
`--jira fake` (default): against the fake provider, which counts every call. Reported: Jira
requests per unique issue while the storm lasts and its creates drain (digest edits are
rate-limited to one per issue per `digest_interval`, 5 min by default, so they land after the
storm: +1 request per issue per interval of activity).

`--jira emulator`: against the Jira emulator served for real (child process, Cloud flavour,
Cloud's rate limits on: 100 GET/POST and 50 PUT/DELETE per second per endpoint) through the
`JiraProvider` `serve` builds, over HTTP. Requests are counted from the emulator's own log.
Reported besides: 429s, the time until the last issue exists in the emulator, the fewest seconds
the emulator's limits allow for the requests made, when deciding finished, and a verdict: who
set the pace, the emulator's limits or our deciding / dispatching. `--bulk-min 1000000` sends
every create as its own POST (no /issue/bulk), so the rate limit binds: ≥ 9 s for 1,000.
`--limits off` (a diagnostic) turns the emulator's limits off: our own pace, nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from pipeline_ingest import payloads
from provider_create import emulator, free_port
from storm_jira import Bound, EmulatorJira, RequestLog

from ticketbridge.bootstrap import routing
from ticketbridge.bootstrap import run as run_command  # uvloop, as `serve` runs
from ticketbridge.config import Config
from ticketbridge.domain import JobState
from ticketbridge.providers.base import Provider
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services import (
    IngestService,
    OutboxAdmin,
    OutboxProcessor,
    PipelineSettings,
    WorkerSettings,
    parse_alerts,
)
from ticketbridge.storage import Database
from ticketbridge.workers import DecisionLoop, Dispatcher

POLL = 0.05  # seconds between looks at the end state (resolution of the times reported)
DEADLINE = 900.0  # a storm not drained by then has a bug: stop and say so


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def clock() -> datetime:
    return datetime.now(UTC)


async def _count(db: Database, query: str) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.exec_driver_sql(query)).scalar() or 0)


async def _undecided(db: Database) -> int:
    return await _count(db, "SELECT count(*) FROM alerts WHERE decision IS NULL")


async def _creates_queued(db: Database) -> int:
    return await _count(db, "SELECT count(*) FROM outbox_jobs WHERE kind = 'create_issue'")


@dataclass
class Timeline:
    """Seconds from the storm's start until each milestone was first seen (None: not yet)."""

    started: float
    accepted: float | None = None
    creates_queued: float | None = None  # every fingerprint's create job committed
    first_issue: float | None = None
    last_issue: float | None = None  # the provider holds one issue per fingerprint
    decided: float | None = None  # no undecided alert left, after the last accept
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds, issues)
    cpu_at_start: float = field(default_factory=cpu_seconds)
    cpu_at: dict[str, float] = field(default_factory=dict)  # our CPU seconds at milestones

    def now(self) -> float:
        return time.perf_counter() - self.started

    @property
    def complete(self) -> bool:
        return None not in (self.creates_queued, self.last_issue, self.decided)


async def _watch(
    db: Database, issues: Callable[[], Awaitable[int]], fingerprints: int, line: Timeline
) -> None:
    """Note each milestone as it happens (polls the end state: the database, the Jira)."""
    while not line.complete:
        if line.now() > DEADLINE:
            raise SystemExit(f"the storm did not drain within {DEADLINE:.0f} s: {line}")
        if line.creates_queued is None and await _creates_queued(db) >= fingerprints:
            line.creates_queued = line.now()
        if line.last_issue is None:
            line.samples.append((line.now(), await issues()))
            if line.first_issue is None and line.samples[-1][1]:
                line.first_issue = line.samples[-1][0]
                line.cpu_at["first_issue"] = cpu_seconds()
            if line.samples[-1][1] >= fingerprints:
                line.last_issue = line.samples[-1][0]
                line.cpu_at["last_issue"] = cpu_seconds()
        if line.accepted is not None and line.decided is None and not await _undecided(db):
            line.decided = line.now()
        await asyncio.sleep(POLL)


async def storm(
    db: Database, jira: Provider, issues: Callable[[], Awaitable[int]], args: argparse.Namespace
) -> tuple[Timeline, int]:
    """Accept the storm with the loops running; return when all is decided and every issue
    exists with no job running. Returns the timeline and the digests left scheduled."""
    settings = PipelineSettings.from_config(Config())
    worker = replace(WorkerSettings(), bulk_min=args.bulk_min)
    router, composer = routing(Config())
    processor = OutboxProcessor(
        db.unit_of_work, jira, router, composer, settings, worker, clock, "bench"
    )
    dispatcher = Dispatcher(processor, worker)
    ingest = IngestService(
        db.unit_of_work, router, settings, clock, lambda round: dispatcher.wake()
    )
    last_accept = [float("-inf")]
    decisions = DecisionLoop(  # told what `serve` tells it: how long intake has been idle
        ingest.decider,
        worker,
        intake_idle_for=lambda: time.monotonic() - last_accept[0],
        outbox_busy=dispatcher.busy,
    )
    admin = OutboxAdmin(db.unit_of_work, clock)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop.run_forever(stop)) for loop in (decisions, dispatcher)]
    line = Timeline(time.perf_counter())
    watcher = asyncio.create_task(_watch(db, issues, args.fingerprints, line))
    for start in range(0, args.alerts, args.batch):
        await ingest.accept(
            parse_alerts(payloads(args.batch, args.fingerprints, start), now=clock())
        )
        last_accept[0] = time.monotonic()
        decisions.wake()
        await asyncio.sleep(0)  # as a server between requests: the loops get their turns
    line.accepted = line.now()
    while not watcher.done() or (await admin.counts())[JobState.RUNNING]:  # noqa: ASYNC110
        await asyncio.sleep(POLL)
    await watcher  # raises if the storm did not drain
    stop.set()
    await asyncio.gather(*tasks)
    return line, (await admin.counts())[JobState.PENDING]


def _header(args: argparse.Namespace, line: Timeline) -> None:
    assert line.accepted is not None
    print(f"alerts: {args.alerts} over {args.fingerprints} fingerprints, batches of {args.batch}")
    print(
        f"accepted: {line.accepted:.1f} s ({args.alerts / line.accepted:,.0f} alerts/s,"
        " loops running)"
    )


def _peak_rss() -> str:
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"


async def run_fake(url: str, args: argparse.Namespace) -> None:
    db = Database(url)
    await db.upgrade()
    jira = FakeProvider()

    async def issues() -> int:
        return len(jira.issues)

    line, digests = await storm(db, jira, issues, args)
    drained = line.now()
    await db.aclose()
    requests = sum(jira.calls.values())
    _header(args, line)
    print(f"all decided and every issue created after {drained:.1f} s")
    print(f"unique issues: {len(jira.issues)}; Jira requests: {requests} {dict(jira.calls)}")
    print(f"requests per unique issue: {requests / max(1, len(jira.issues)):.3f}")
    print(f"digests scheduled for later (one per issue per interval): {digests}")
    print(f"peak RSS: {_peak_rss()}")


async def run_emulator(url: str, args: argparse.Namespace, base: str) -> None:
    db = Database(url)
    await db.upgrade()
    site = EmulatorJira(base, limits=args.limits == "on")
    await site.prepare()
    jira = site.provider()
    try:
        line, digests = await storm(db, jira, site.issues, args)
        drained = line.now()
        stored, log = await site.issues(), await site.request_log()
    finally:
        await jira.aclose()
        await site.aclose()
        await db.aclose()
    _header(args, line)
    print(
        f"Jira: the emulator at {base}, Cloud flavour, rate limits {args.limits};"
        f" bulk_min {args.bulk_min}"
    )
    print(f"all decided and every issue created after {drained:.1f} s")
    _report_emulator(line, stored, log, site.wire.near_limit, limited=args.limits == "on")
    print(f"digests scheduled for later (one per issue per interval): {digests}")
    print(f"peak RSS: {_peak_rss()} (ticketbridge's process)")


def _report_emulator(
    line: Timeline, stored: int, log: RequestLog, near_limit: list[float], *, limited: bool
) -> None:
    assert line.last_issue is not None
    assert line.first_issue is not None
    print(f"unique issues: {stored}; Jira requests (emulator's log): {log.total} {log.by_route()}")
    print(f"requests per unique issue: {log.total / max(1, stored):.3f}")
    print(f"answers by status: {log.by_status()}; 429 (rate-limited): {log.refused}")
    near = [at - line.started for at in near_limit]
    if near:
        print(f"answers with X-RateLimit-NearLimit: {len(near)}, the first after {near[0]:.1f} s")
    bounds = log.bounds() if limited else []
    for bound in bounds[:3]:
        print(f"rate-limit lower bound, {bound.describe()}")
    print(
        f"timeline: every create queued after {line.creates_queued:.1f} s; first issue in the"
        f" emulator after {line.first_issue:.1f} s, the last after {line.last_issue:.1f} s;"
        f" all decided after {line.decided:.1f} s"
    )
    print(f"issues created per second of the storm: {per_second(line.samples)}")
    busy = cpu_seconds() - line.cpu_at_start
    draining = line.cpu_at["last_issue"] - line.cpu_at["first_issue"]
    share = draining / max(0.01, line.last_issue - line.first_issue)
    print(
        f"ticketbridge's CPU: {busy:.1f} s over the storm ({line.now():.1f} s);"
        f" {draining:.1f} s from the first issue to the last ({share:.0%} of one core)"
    )
    if limited:
        print(verdict(line, bounds[0].seconds if bounds else 0.0, share))
        if bounds and bounds[0].allowed >= stored:  # one request per issue: bulk is off
            print(after_intake(line, bounds[0]))
        elif bounds and bounds[0].seconds == 0:
            print("(every create request fit in the buckets' burst: the limits never applied)")
        return
    window = line.last_issue - line.first_issue
    print(
        f"rate limits off (diagnostic): drain {line.last_issue:.1f} s; {stored / window:.0f}"
        f" issues/s from the first to the last, our own pace (our client's governor alone"
        f" caps GET+POST at 100/s after a burst of 100)"
    )


def per_second(samples: list[tuple[float, int]]) -> list[int]:
    """Issues created in each whole second from the storm's start (from the polled counts)."""
    seen: dict[int, int] = {}
    for at, count in samples:
        seen[int(at)] = max(seen.get(int(at), 0), count)
    totals, last = [], 0
    for second in range(max(seen, default=-1) + 1):
        last = max(last, seen.get(second, last))
        totals.append(last)
    return [b - a for a, b in zip([0, *totals], totals, strict=False)]


def verdict(line: Timeline, bound: float, share: float) -> str:
    """Who set the pace of the drain: the emulator's limits, our deciding or our dispatching.

    The bound counts from the bucket's first request, so it is set against the time from the
    first issue to the last; what came before the first issue is ours (accept, decide, claim).
    `share`: our CPU seconds per second from the first issue to the last."""
    assert line.last_issue is not None
    assert line.first_issue is not None
    assert line.creates_queued is not None
    assert line.decided is not None
    drain, first, queued = line.last_issue, line.first_issue, line.creates_queued
    head = (
        f"drain: {drain:.1f} s (first issue after {first:.1f} s, last {drain - first:.1f} s"
        f" later); the emulator's limits allow no less than {bound:.1f} s for these requests"
    )
    slack = max(0.5, 0.05 * bound)  # the poll's resolution, the requests' own latency
    if bound > 0 and drain - first <= bound + slack:
        return f"{head} → limited by the emulator"
    if drain - queued <= bound + slack:
        return f"{head} → limited by us: deciding (every create queued only after {queued:.1f} s)"
    causes = []
    if share >= 0.75:
        busy = f"our process was on CPU {share:.0%} of one core"
        if line.decided > first:
            busy += f", deciding the storm on the same event loop until {line.decided:.1f} s"
        causes.append(busy)
    if not causes:
        causes.append(f"our process on CPU {share:.0%} of one core")
    return (
        f"{head} → limited by us: dispatching ({drain - first - bound:.1f} s beyond the limits'"
        f" bound; {'; '.join(causes)})"
    )


def after_intake(line: Timeline, bound: Bound) -> str:
    """The drain once the storm is accepted: intake goes first by design (the decider and the
    dispatcher get what intake leaves of the core), so the pace that shows whether we or Jira's
    limits hold the drain back is the one after the last accept. The bucket refills meanwhile:
    up to its capacity goes at once, the rest at its rate."""
    assert line.accepted is not None
    assert line.last_issue is not None
    before = max((count for at, count in line.samples if at <= line.accepted), default=0)
    remaining = max((count for _, count in line.samples), default=0) - before
    took = max(0.001, line.last_issue - line.accepted)
    allowed = max(0.0, remaining - bound.capacity) / bound.rate
    head = (
        f"after the last accept ({line.accepted:.1f} s): {remaining} issues in {took:.1f} s"
        f" ({remaining / took:.0f}/s); the limits allow no less than {allowed:.1f} s"
    )
    who = "the emulator" if took <= allowed + max(0.5, 0.05 * allowed) else "us"
    return f"{head} → limited by {who}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--fingerprints", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--url", default=None)
    parser.add_argument("--jira", choices=["fake", "emulator"], default="fake")
    parser.add_argument(
        "--bulk-min",
        type=int,
        default=WorkerSettings().bulk_min,
        help="creates per project that go through /issue/bulk (1000000: every create alone)",
    )
    parser.add_argument(
        "--limits",
        choices=["on", "off"],
        default="on",
        help="the emulator's rate limits (off: a diagnostic of our own pace)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{tmp}/storm.db"
        if args.jira == "fake":
            run_command(run_fake(url, args))
            return
        with emulator(free_port(), "cloud") as base:
            run_command(run_emulator(url, args, base))
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS of the emulator (child process): {child:.0f} MiB")
        print(f"emulator's CPU over its life: {cpu_seconds(resource.RUSAGE_CHILDREN):.1f} s")


if __name__ == "__main__":
    main()
