"""The chaos drill (issue 20): `--workers` `ticketbridge worker` processes on one PostgreSQL
drain `--writes` queued Jira creates into the emulator at its rate limit, while a random worker
is killed with SIGKILL every `--kill-every` seconds and started again, and PostgreSQL itself is
restarted once (at half the writes). Ends with the count of duplicate issues, of lost writes,
and the drain time against the rate limit's bound: the writes in full bulks of 50 at `--rate`
POSTs per second (the emulator limits each endpoint on its own; POSTs it refused with 429 are
counted apart, as they cost no token). `--rate 0`: no limit (the scaling curve's drain points).
A rate only shows the fleet's losses if the fleet could go faster without it: on a small host
pick one below the `--rate 0` drain's POSTs per second.

    .venv/bin/python bench/chaos.py [--writes 100000] [--workers 4] [--rate 100]
        [--kill-every 10] [--no-chaos] [--settle S] [--keep DIR]

The short version runs in the suite: tests/fleet/test_chaos.py.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text

_TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(_TESTS), str(_TESTS / "e2e"), str(_TESTS / "fleet")]

from e2e_processes import EMULATOR_HEADERS, Stack, marker  # noqa: E402
from test_chaos import ChaosStack, outbox_counts, restart  # noqa: E402

from support.postgres import start_postgres  # noqa: E402
from ticketbridge import bootstrap  # noqa: E402
from ticketbridge.config.settings import Settings  # noqa: E402
from ticketbridge.domain import JobState  # noqa: E402
from ticketbridge.services import WorkerSettings, parse_alerts  # noqa: E402
from ticketbridge.storage import Database  # noqa: E402

BULK = 50  # creates per /issue/bulk call: Jira's limit, the provider's `max_bulk`
STALL = 1.0  # the emulator reports each hold-up of its event loop (or full GC) this long


@dataclass
class SettledStack(ChaosStack):
    """The drill's stack, its workers' settle delay `settle` seconds (None: the default)."""

    settle: float | None = None

    @property
    def env(self) -> dict[str, str]:
        if self.settle is None:
            return super().env
        return super().env | {"TICKETBRIDGE_JOB_SETTLE_SECONDS": f"{self.settle:g}"}


def fingerprint(n: int) -> str:
    """The fingerprint of write `n` as the generic source scopes it (its marker's key)."""
    return f"generic:chaos-fp-{n}"


async def queue(settings: Settings, writes: int) -> None:
    async with bootstrap.open_container(settings, bootstrap.load_configured(settings)) as c:
        for start in range(0, writes, 1000):
            payloads = [
                {"source": "generic", "id": f"c-{n}", "title": f"chaos {n}", "severity": "high",
                 "fingerprint": f"chaos-fp-{n}"}
                for n in range(start, min(start + 1000, writes))
            ]  # fmt: skip
            await c.ingest.ingest(parse_alerts(payloads, now=c.now()))


def written(settings: Settings) -> tuple[int, bool]:
    """The creates done so far, and whether any is still to do (0 and True while PostgreSQL
    restarts). The restart is timed on these, not on POSTs: a POST carries up to 50 creates."""
    try:
        counts = asyncio.run(outbox_counts(settings))
    except OSError:  # PostgreSQL restarting
        return 0, True
    return counts[JobState.DONE], bool(counts[JobState.PENDING] + counts[JobState.RUNNING])


def posts(stack: Stack) -> tuple[dict[str, int], dict[str, int]]:
    """The POSTs the emulator let through ("POST /rest/api/2/issue/bulk": n, answered 2xx),
    and those it refused with 429 (they cost the fleet a wait, not the rate limit a token)."""
    counters = httpx.get(
        f"{stack.emulator_url}/_emulator/counters",
        params={"by": "status"},
        headers=EMULATOR_HEADERS,
        timeout=60.0,
    )  # the emulator answers late while four workers write to it
    done: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for answer, n in counters.json().items():
        route, status = answer.rsplit(" ", 1)
        if route.startswith("POST") and status.startswith("2"):
            done[route] += n
        elif route.startswith("POST") and status == "429":
            refused[route] += n
    return dict(done), dict(refused)


def twin_issues(stack: Stack, labels: set[str]) -> dict[str, list[str]]:
    """The issues (key and creation time) of each marker label carried more than once."""
    if not labels:
        return {}
    response = httpx.get(
        f"{stack.emulator_url}/_emulator/issues", headers=EMULATOR_HEADERS, timeout=120.0
    )
    found: dict[str, list[str]] = {label: [] for label in labels}
    for issue in response.json():
        for label in set(issue["labels"]) & labels:
            created = httpx.get(
                f"{stack.emulator_url}/rest/api/2/issue/{issue['key']}",
                params={"fields": "created"},
                headers=EMULATOR_HEADERS,
                timeout=60.0,
            ).json()["fields"]["created"]
            found[label].append(f"{issue['key']} (id {issue['id']}, created {created})")
    return found


async def twin_rows(settings: Settings, labels: set[str], writes: int) -> dict[str, list[str]]:
    """The tickets and jobs behind each twinned marker, as the database holds them."""
    by_label = {marker(fingerprint(n)): fingerprint(n) for n in range(writes)}
    found: dict[str, list[str]] = {}
    db = Database(settings.database_url)
    try:
        async with db.engine.connect() as conn:
            for label in labels:
                tickets = await conn.execute(
                    text(
                        "SELECT t.id, t.generation, t.issue_key, t.status, j.id AS job, j.kind,"
                        " j.state, j.attempts, j.sent_until, j.created_at, j.updated_at,"
                        " j.last_error FROM tickets t LEFT JOIN outbox_jobs j"
                        " ON j.ticket_id = t.id WHERE t.fingerprint = :fp ORDER BY t.id, j.id"
                    ),
                    {"fp": by_label.get(label, "")},
                )
                found[label] = [str(dict(row._mapping)) for row in tickets]
    finally:
        await db.aclose()
    return found


def stalls(workdir: Path, until: str) -> list[str]:
    """The emulator's hold-ups (`--report-stalls`, in its log) up to `until` (HH:MM:SS, UTC:
    the drain's end, not the bench's own reads after it): how many of each kind, the longest
    and when; the slow answers by route (which requests held its loop up)."""
    line_re = re.compile(r"^jira_emulator: (\S+) (event loop held up|full garbage collection "
                         r"took|slow answer: (\S+ \S+) took) ([\d.]+) s(.*)")  # fmt: skip
    jql_re = re.compile(r'"jql": ?"(\w+ \w+)')  # a search's first words: which kind it was
    found: dict[str, list[tuple[float, str]]] = {"event loop held up": [], "full GCs": []}
    slow: dict[str, list[float]] = {}
    log = workdir / "emulator.log"
    for line in log.read_text(errors="replace").splitlines() if log.exists() else ():
        if not (match := line_re.match(line)):
            continue
        at, kind, route, seconds = match.group(1), match.group(2), match.group(3), match.group(4)
        if at[:8] > until:
            continue
        if route is not None:
            jql = jql_re.search(match.group(5))
            route = re.sub(r"\d+", "N", route) + (f" ({jql.group(1)} …)" if jql else "")
            slow.setdefault(route, []).append(float(seconds))
            continue
        found["full GCs" if kind.startswith("full") else kind].append((float(seconds), at))
    said = []
    for what, held in found.items():
        longest = max(held, default=None)
        said.append(
            f"emulator {what} >= {STALL:g} s: {len(held)}"
            + (f" (longest {longest[0]:.1f} s at {longest[1][:8]})" if longest else "")
            + f", >= 5 s: {sum(s >= 5 for s, _ in held)}"
        )
    for route, took in sorted(slow.items(), key=lambda item: -len(item[1])):
        said.append(f"  slow answers {route}: {len(took)}, longest {max(took):.1f} s")
    return said


def run(args: argparse.Namespace, workdir: Path) -> None:
    server_gen = start_postgres()
    server = next(server_gen)
    stack = SettledStack(workdir, server.create_database(), settle=args.settle)
    settings = Settings(database_url=stack.database_url, config=workdir / "ticketbridge.yaml")
    try:
        stack.start()
        if args.rate:
            httpx.put(
                f"{stack.emulator_url}/_emulator/limits",
                json={"enabled": True, "rates": {"POST": args.rate, "PUT": args.rate}},
                headers=EMULATOR_HEADERS,
            ).raise_for_status()
        asyncio.run(queue(settings, args.writes))
        started = time.monotonic()
        workers = [stack.worker() for _ in range(args.workers)]
        kills, restarted, next_kill = 0, False, started + args.kill_every
        while True:
            finished, busy = written(settings)
            if finished >= args.writes and not busy:
                break
            now = time.monotonic()
            if args.chaos and now >= next_kill:
                n = random.randrange(len(workers))
                workers[n].send_signal(signal.SIGKILL)
                workers[n].wait(timeout=10)
                workers[n] = stack.worker()
                kills, next_kill = kills + 1, now + args.kill_every
            if args.chaos and not restarted and finished >= args.writes // 2:
                restart(server)
                restarted = True
            time.sleep(0.5)
        drain = time.monotonic() - started
        drained_at = f"{datetime.now(UTC):%H:%M:%S}"
        issues = stack.issues_by_marker()
        twins = twin_issues(stack, {m for m, n in issues.items() if n > 1})
        rows = asyncio.run(twin_rows(settings, set(twins), args.writes)) if twins else {}
        sent, refused = posts(stack)
    finally:
        stack.stop_all()
        server.stop()
    wanted = {marker(fingerprint(n)) for n in range(args.writes)}
    print(
        f"writes: {args.writes}, workers: {args.workers}, kills: {kills}, pg restart: {restarted}, "
        f"settle: {args.settle or WorkerSettings().settle_delay.total_seconds():g} s"
    )
    print(f"duplicates: {sum(c - 1 for c in issues.values() if c > 1)}")
    for label, made in sorted(twins.items())[:20]:  # what to look at when this is not 0
        print(f"  {label}: {', '.join(made)}")
        for row in rows.get(label, []):
            print(f"    {row}")
    print(f"lost: {len(wanted - set(issues))}")
    print("\n".join(stalls(workdir, drained_at)))
    print(f"drain: {drain:.1f} s ({args.writes / drain:,.0f} writes/s), {sum(sent.values())} POSTs")
    for route, n in sorted(sent.items(), key=lambda item: -item[1]):
        print(f"  {n:6}  {route}  ({refused.get(route, 0)} more refused with 429)")
    if args.rate:
        # The emulator limits each endpoint on its own (a token bucket per endpoint and
        # method). The bound is the least time the limit allows for the writes: all of them in
        # full bulks of 50. Beside it, the same for the bulk POSTs let through: kills leave
        # smaller bulks behind, so that bound is the looser of the two.
        ideal = math.ceil(args.writes / BULK)
        print(
            f"rate-limit bound: {ideal / args.rate:.1f} s ({ideal} bulk POSTs at {args.rate:g}/s); "
            f"drain / bound = {drain / (ideal / args.rate):.2f}"
        )
        busiest = max(sent.values())
        print(f"bound over the POSTs let through: {busiest / args.rate:.1f} s; "
              f"drain / that = {drain / (busiest / args.rate):.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0, help="POST/PUT per second; 0: none")
    parser.add_argument("--kill-every", type=float, default=10.0)
    parser.add_argument("--no-chaos", dest="chaos", action="store_false")
    parser.add_argument(
        "--settle", type=float, help="the workers' TICKETBRIDGE_JOB_SETTLE_SECONDS (default 5)"
    )
    parser.add_argument("--keep", type=Path, help="work in this directory and keep its logs")
    args = parser.parse_args()
    os.environ.setdefault("JIRA_EMULATOR_REPORT_STALLS", str(STALL))  # the Stack passes it on
    if args.keep:  # the workers' and the emulator's logs stay there
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args, args.keep)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
