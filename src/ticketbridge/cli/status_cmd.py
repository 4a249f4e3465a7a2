"""`ticketbridge status`: what the workers are doing — the outbox's jobs by state and its
oldest pending one, each `serve`/`worker` process with its role and last heartbeat
(workers/heartbeat.py), and each periodic job (workers/scheduler.py): when it last ran, whether
it succeeded, what it did, who runs it now and when it is next due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.markup import escape

from ticketbridge import bootstrap
from ticketbridge.cli import operations
from ticketbridge.cli.common import JsonOption, console, print_json, translate_errors
from ticketbridge.domain.records import ProcessRecord, ScheduleRecord


@translate_errors
def status(as_json: JsonOption = False) -> None:
    """Outbox jobs by state and the oldest pending, each process's heartbeat, and when each
    periodic job last ran and what it did."""
    found = bootstrap.run(operations.status(bootstrap.load_settings()))
    counts, rows = found.counts, found.schedules
    if as_json:
        print_json(
            {
                "outbox": {state.value: count for state, count in counts.items()},
                "oldest_pending_at": found.oldest_pending,
                "backlog_by_site": found.backlog_by_site,
                "unconfigured_sites": _unconfigured(found.backlog_by_site, found.sites),
                "processes": [_process(p, found.now) for p in found.processes],
                "schedules": [_row(row) for row in rows],
            }
        )
        return
    console.print("outbox: " + ", ".join(f"{s.value} {n}" for s, n in counts.items()))
    console.print(f"oldest pending job: {_age(found.oldest_pending, found.now)}")
    if len(found.backlog_by_site) > 1:  # several Jira sites: which one the backlog waits for
        sites = ", ".join(f"{escape(s)} {n}" for s, n in sorted(found.backlog_by_site.items()))
        console.print(f"backlog per Jira site: {sites}")
    for site in _unconfigured(found.backlog_by_site, found.sites):
        count = found.backlog_by_site[site]
        console.print(
            f"[yellow]![/yellow] {count} job(s) wait for the Jira site {escape(site)!r}, which "
            "`jira.sites` no longer names: nothing writes them until it is configured again"
        )
    if not found.processes:
        console.print("processes: none running (`serve` and `worker` write a heartbeat)")
    for process in found.processes:
        console.print(
            f"[bold]{escape(process.role)}[/bold] {escape(process.name)}  last heartbeat "
            f"{_age(process.heartbeat_at, found.now)}, up since {_when(process.started_at)}"
        )
    if not rows:
        console.print("periodic jobs: none has run yet (they run in `serve` and `worker`)")
    for row in rows:
        console.print(_line(row))


def _unconfigured(backlog: dict[str, int], sites: tuple[str, ...]) -> list[str]:
    return sorted(site for site in backlog if site not in sites)


def _row(row: ScheduleRecord) -> dict[str, Any]:
    return {
        "name": row.name,
        "last_started_at": row.last_started_at,
        "last_finished_at": row.last_finished_at,
        "last_ok": row.last_ok,
        "last_outcome": row.last_outcome,
        "runs": row.runs,
        "running_in": row.owner,
        "next_due_at": row.next_due_at,
    }


def _process(process: ProcessRecord, now: datetime) -> dict[str, Any]:
    return {
        "name": process.name,
        "role": process.role,
        "host": process.host,
        "pid": process.pid,
        "started_at": process.started_at,
        "heartbeat_at": process.heartbeat_at,
        "heartbeat_age_s": round((now - process.heartbeat_at).total_seconds(), 1),
    }


def _age(moment: datetime | None, now: datetime) -> str:
    return f"{(now - moment).total_seconds():.0f}s ago" if moment else "none"


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "never"


def _line(row: ScheduleRecord) -> str:
    result = {True: "ok", False: "FAILED", None: "-"}[row.last_ok]
    running = f", running in {escape(row.owner)}" if row.owner else ""
    outcome = escape(row.last_outcome or "")
    return (
        f"[bold]{escape(row.name)}[/bold]  last run {_when(row.last_finished_at)} {result}"
        f" ({row.runs} runs{running}), next due {_when(row.next_due_at)}\n    {outcome}"
    )
