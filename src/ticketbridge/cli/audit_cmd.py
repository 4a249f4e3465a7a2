"""`ticketbridge audit …`: the trail's key, verify, prove, export, manual links and an alert's
events. Exit codes: 0 verified, 1 tampering found (or a failure), 2 bad input."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress

from ticketbridge import bootstrap
from ticketbridge.cli.common import (
    Exit,
    JsonOption,
    console,
    not_found,
    print_json,
    translate_errors,
)
from ticketbridge.cli.operations import migrated
from ticketbridge.domain.audit_check import Report
from ticketbridge.domain.audit_notes import split_notes
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.audit_export import ExportRange
from ticketbridge.services.audit_service import AuditTrail, EventFilter

audit_app = typer.Typer(help="The verifiable audit trail (SPEC §8).", no_args_is_help=True)
_EVENT_ID = re.compile(r"^evt_[0-9a-f]{1,36}$")


@asynccontextmanager
async def _trail() -> AsyncIterator[AuditTrail]:
    # Logs go to stderr (the app's callback): stdout carries the proof, the JSON, the key.
    async with migrated(bootstrap.load_settings()) as container:
        yield container.trail


@audit_app.command("key")
@translate_errors
def key(as_json: JsonOption = False) -> None:
    """Print the log's public key (made at first start), the one checkpoints are signed with."""

    async def run() -> tuple[str, str]:
        async with _trail() as trail:
            signing = await trail.keys.signing()
            return signing.public.origin, signing.public.vkey

    origin, vkey = bootstrap.run(run())
    if as_json:
        print_json({"origin": origin, "verifier_key": vkey})
        return
    typer.echo(vkey)


@audit_app.command("verify")
@translate_errors
def verify(
    since: Annotated[
        Path | None,
        typer.Option(help="Checkpoints kept outside the database (the sink's file) to hold it to."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check the chain, the positions, every signed checkpoint and forks; name the first bad
    position or checkpoint."""
    external: list[tuple[str, str]] = []
    if since is not None:
        try:
            notes = split_notes(since.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise InputError("cannot read checkpoints", [Problem("--since", str(err))]) from err
        external = [(f"{since.name}#{n + 1}", note) for n, note in enumerate(notes)]

    async def run() -> Report:
        async with _trail() as trail:
            if as_json:
                return await trail.verifier.verify(external)
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("verifying", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                return await trail.verifier.verify(external, advance)

    report = bootstrap.run(run())
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(int(Exit.FAILED))


def _print_report(report: Report) -> None:
    size = report.first_position + report.events
    console.print(f"events checked: {report.events} (positions 0…{size - 1})")
    console.print(f"signed checkpoints checked: {report.checkpoints_checked}")
    for finding in report.findings:
        console.print(f"[red]✗[/red] {finding.kind}: {escape(finding.message)}")
    if report.ok:
        console.print("[green]✓[/green] the trail verifies")


@audit_app.command("prove")
@translate_errors
def prove(
    event_id: Annotated[str, typer.Argument(help="The event's id (evt_…).")],
    out: Annotated[
        Path | None, typer.Option(help="Write the proof here (default: stdout).")
    ] = None,
) -> None:
    """An offline proof that the event is in the log: the event, its inclusion proof and a
    signed checkpoint (C2SP tlog-proof)."""
    _check_event_id(event_id)

    async def run() -> str | None:
        async with _trail() as trail:
            return await trail.verifier.prove(event_id)

    proof = bootstrap.run(run())
    if proof is None:
        not_found(f"no audit event {event_id!r}")
    if out is None:
        typer.echo(proof, nl=False)
        return
    out.write_text(proof, encoding="utf-8")
    console.print(f"[green]✓[/green] proof of {event_id} written to {out}")


@audit_app.command("export")
@translate_errors
def export(
    out: Annotated[Path, typer.Option(help="The directory the evidence pack is written to.")],
    from_: Annotated[
        str | None, typer.Option("--from", help="First position, or an ISO date/time.")
    ] = None,
    to: Annotated[str | None, typer.Option(help="Last position, or an ISO date/time.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write an evidence pack: events.jsonl, checkpoints, public key, manifest, verify.py."""

    async def run() -> dict[str, Any]:
        async with _trail() as trail:
            first = await _position(trail, from_, "--from", start=True)
            last = await _position(trail, to, "--to", start=False)
            query = {"from": from_, "to": to}
            exported = await trail.exporter.export(ExportRange(first or 0, last, query), out)
            return exported.manifest

    manifest = bootstrap.run(run())
    if as_json:
        print_json(manifest)
        return
    console.print(
        f"[green]✓[/green] {manifest['count']} events (positions {manifest['first_position']}"
        f"…{manifest['last_position']}) written to {out}; check it with: python {out}/verify.py"
    )


async def _position(trail: AuditTrail, given: str | None, name: str, *, start: bool) -> int | None:
    """A position as given, or the position a date/time falls on (the first event at or
    after it; for --to, the last before it)."""
    if given is None:
        return None
    if given.isdigit():
        return int(given)
    try:
        moment = datetime.fromisoformat(given)
    except ValueError as err:
        raise InputError("invalid range", [Problem(name, "a position or an ISO date")]) from err
    if moment.tzinfo is None:
        raise InputError("invalid range", [Problem(name, "give the time zone (…Z)")])
    [*after] = await trail.events(EventFilter(since=moment), limit=1)
    if start:
        return after[0].position if after else 1 << 62
    return after[0].position - 1 if after else None


@audit_app.command("link")
@translate_errors
def link(
    event_id: Annotated[str, typer.Argument(help="The event's id (evt_…).")],
    issue_key: Annotated[str, typer.Argument(help="The Jira issue key to link.")],
    url: Annotated[str | None, typer.Option(help="The issue's URL.")] = None,
) -> None:
    """Link a Jira issue to an event (a LINK_ADDED event: the log is never edited)."""
    _check_event_id(event_id)
    wanted: dict[str, str] = {"type": "JIRA_TICKET", "externalId": issue_key}
    if url:
        wanted["url"] = url

    async def run() -> str | None:
        async with _trail() as trail:
            return await trail.add_link(event_id, wanted)

    added = bootstrap.run(run())
    if added is None:
        not_found(f"no audit event {event_id!r}")
    console.print(f"[green]✓[/green] {issue_key} linked to {event_id} by {added}")


@audit_app.command("events")
@translate_errors
def events(
    alert: Annotated[str | None, typer.Option(help="<source>/<alert id>.")] = None,
    ticket: Annotated[str | None, typer.Option(help="A Jira issue key.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """The trail's events (JSON lines, oldest first), filtered by alert or issue key."""

    async def run() -> list[dict[str, Any]]:
        async with _trail() as trail:
            found = await trail.events(EventFilter(alert=alert, ticket_key=ticket), limit=limit)
            return [e.document() for e in found]

    for document in bootstrap.run(run()):
        print_json(document)


async def alert_events(source: str, alert_id: str) -> list[dict[str, Any]]:
    """`explain`'s list: the alert's events in order."""
    async with _trail() as trail:
        return [e.document() for e in await trail.explain(f"{source}/{alert_id}")]


def _check_event_id(event_id: str) -> None:
    if not _EVENT_ID.match(event_id):
        raise InputError("invalid event id", [Problem("EVT_ID", "evt_ and hex digits")])
