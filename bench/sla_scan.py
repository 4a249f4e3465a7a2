"""SLA clocks over 100,000 open tickets: the computation a scan makes per ticket.

    .venv/bin/python bench/sla_scan.py [--tickets 100000] [--events 6]

Each ticket has `--events` events (an assignment, our own comment, a comment by someone else,
status changes in and out of a pause status); `domain.sla.sla_status` computes both clocks of
every ticket at one `now`. Reports tickets/s and how many are running, at risk, breached or
met. (The scan's database side — reading the stored transitions — waits for two-way sync.)
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from ticketbridge.domain.sla import IssueEvent, SlaPolicy, sla_status

T0 = datetime(2026, 3, 1, tzinfo=UTC)
POLICY = SlaPolicy(
    first_response=timedelta(hours=1),
    resolution=timedelta(hours=4),
    pause=frozenset({"Waiting for customer"}),
)
STATUSES = [("In Progress", "indeterminate"), ("Waiting for customer", "indeterminate")]


def history(rng: random.Random, events: int) -> tuple[datetime, list[IssueEvent]]:
    occurred = T0 + timedelta(minutes=rng.randrange(0, 600))
    found: list[IssueEvent] = []
    for n in range(events):
        at = occurred + timedelta(minutes=rng.randrange(1, 480))
        if n % 3 == 0:
            name, category = STATUSES[rng.randrange(2)]
            found.append(IssueEvent(at, "status", status=name, category=category))
        elif n % 3 == 1:
            found.append(IssueEvent(at, "comment", by_us=rng.random() < 0.5))
        else:
            found.append(IssueEvent(at, "assigned"))
    return occurred, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=6)
    args = parser.parse_args()
    rng = random.Random(15)
    tickets = [history(rng, args.events) for _ in range(args.tickets)]
    now = T0 + timedelta(hours=12)
    started = time.process_time()
    states = Counter(sla_status(at, events, now, POLICY).worst for at, events in tickets)
    cpu = time.process_time() - started
    print(f"tickets: {args.tickets}  events each: {args.events}")
    print(f"CPU: {cpu:.2f} s  throughput: {args.tickets / cpu:,.0f} tickets/s")
    print("states: " + ", ".join(f"{s.value if s else 'none'} {n}" for s, n in states.items()))


if __name__ == "__main__":
    main()
