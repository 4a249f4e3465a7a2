"""The chaos drill (issue 20): `--workers` `ticketbridge worker` processes on one PostgreSQL
drain `--writes` queued Jira creates into the emulator at its rate limit, while a random worker
is killed with SIGKILL every `--kill-every` seconds and started again, and PostgreSQL itself is
restarted once (at half the writes). Ends with the count of duplicate issues, of lost writes,
and the drain time against the rate limit's bound (the POSTs the emulator answered to its
busiest endpoint, at `--rate` per second: it limits each endpoint on its own). `--rate 0`:
no limit (the scaling curve's drain points).

    .venv/bin/python bench/chaos.py [--writes 100000] [--workers 4] [--rate 100]
        [--kill-every 10] [--no-chaos]

The short version runs in the suite: tests/fleet/test_chaos.py.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

_TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(_TESTS), str(_TESTS / "e2e"), str(_TESTS / "fleet")]

from e2e_processes import EMULATOR_HEADERS, Stack, marker  # noqa: E402
from test_chaos import ChaosStack, outbox_counts, restart  # noqa: E402

from support.postgres import start_postgres  # noqa: E402
from ticketbridge import bootstrap  # noqa: E402
from ticketbridge.config.settings import Settings  # noqa: E402
from ticketbridge.domain import JobState  # noqa: E402
from ticketbridge.services import parse_alerts  # noqa: E402


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


def posts(stack: Stack) -> dict[str, int]:
    """The POSTs the emulator answered, per endpoint ("POST /rest/api/2/issue/bulk": n)."""
    counters = httpx.get(
        f"{stack.emulator_url}/_emulator/counters", headers=EMULATOR_HEADERS, timeout=60.0
    )  # the emulator answers late while four workers write to it
    return {route: n for route, n in counters.json().items() if route.startswith("POST")}


def run(args: argparse.Namespace, workdir: Path) -> None:
    server_gen = start_postgres()
    server = next(server_gen)
    stack = ChaosStack(workdir, server.create_database())
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
        issues = stack.issues_by_marker()
        sent = posts(stack)
    finally:
        stack.stop_all()
        server.stop()
    wanted = {marker(f"generic:chaos-fp-{n}") for n in range(args.writes)}
    print(
        f"writes: {args.writes}, workers: {args.workers}, kills: {kills}, pg restart: {restarted}"
    )
    print(f"duplicates: {sum(c - 1 for c in issues.values() if c > 1)}")
    print(f"lost: {len(wanted - set(issues))}")
    print(f"drain: {drain:.1f} s ({args.writes / drain:,.0f} writes/s), {sum(sent.values())} POSTs")
    for route, n in sorted(sent.items(), key=lambda item: -item[1]):
        print(f"  {n:6}  {route}")
    if args.rate:
        # The emulator limits each endpoint on its own (a token bucket per endpoint and
        # method), so the bound is the busiest endpoint's POSTs at the rate, not all POSTs'.
        bound = max(sent.values()) / args.rate
        print(f"rate-limit bound: {bound:.1f} s; drain / bound = {drain / bound:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0, help="POST/PUT per second; 0: none")
    parser.add_argument("--kill-every", type=float, default=10.0)
    parser.add_argument("--no-chaos", dest="chaos", action="store_false")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
