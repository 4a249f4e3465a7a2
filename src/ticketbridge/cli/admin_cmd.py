"""Operator commands on the local database: `db upgrade`, `apikey create|list|revoke`,
`outbox …`, `explain`.

They open the same container the server runs on (the API's ports), so what they show and do is
exactly what the HTTP API shows and does, and they work while the server is down.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from ticketbridge import bootstrap
from ticketbridge.api.schemas import AlertView, SlaState
from ticketbridge.api.views import alert_body, job_body
from ticketbridge.cli import audit_cmd, operations
from ticketbridge.cli.common import (
    JsonOption,
    console,
    not_found,
    print_json,
    translate_errors,
    wrapping_table,
)
from ticketbridge.cli.outbox_view import job_blocks
from ticketbridge.config.settings import Settings
from ticketbridge.domain import JobState
from ticketbridge.domain.records import ApiKey
from ticketbridge.services import JobView
from ticketbridge.services.api_keys import parse_scopes, parse_sources

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys (Authorization: Bearer tb_…).", no_args_is_help=True)
outbox_app = typer.Typer(help="The durable queue of Jira writes.", no_args_is_help=True)


@db_app.command("upgrade")
@translate_errors
def db_upgrade(as_json: JsonOption = False) -> None:
    """Apply the database migrations (idempotent)."""
    settings = bootstrap.load_settings()
    revision = bootstrap.run(bootstrap.upgrade_database(settings.database_url))
    if as_json:
        print_json({"database": _safe_url(settings.database_url), "revision": revision})
        return
    console.print(f"[green]✓[/green] database at revision {revision}")


@apikey_app.command("create")
@translate_errors
def apikey_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scope: Annotated[
        list[str], typer.Option(help="ingest, read, admin (repeat or comma-separate).")
    ],
    source: Annotated[
        list[str] | None,
        typer.Option(
            help="The alert sources the key may post for (repeat or comma-separate); "
            "default: generic. An alert naming another source is refused (403)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key; the token is printed once and only its SHA-256 is stored."""
    parse_scopes(scope), parse_sources(source or [])  # bad usage before the database
    issued = bootstrap.run(operations.create_api_key(_settings(), name, scope, source or []))
    key = issued.key
    if as_json:
        print_json({**_key_body(key), "token": issued.token})
        return
    console.print(
        f"[green]✓[/green] API key {escape(key.name)!r} ({', '.join(key.scopes)}) "
        f"for sources: {escape(', '.join(key.sources))}"
    )
    console.print(f"  {issued.token}")
    console.print("  Store it now: it is not shown again.", style="dim")


@apikey_app.command("list")
@translate_errors
def apikey_list(as_json: JsonOption = False) -> None:
    """List the API keys: id, name, scopes, sources, created, last used, revoked (never a
    token)."""
    keys = [_key_body(k) for k in bootstrap.run(operations.list_api_keys(_settings()))]
    if as_json:
        print_json(keys)
        return
    table = wrapping_table("id", "name", "scopes", "sources", "created", "last used", "revoked")
    for key in keys:
        table.add_row(
            str(key["id"]),
            escape(str(key["name"])),
            ", ".join(key["scopes"]),
            escape(", ".join(key["sources"])),
            _when(key["created_at"]),
            _when(key["last_used_at"]) or "never",
            "revoked" if key["revoked"] else "",
        )
    console.print(
        table if keys else "no API keys yet: ticketbridge apikey create --name … --scope …"
    )


@apikey_app.command("revoke")
@translate_errors
def apikey_revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (see `apikey list`).")],
    as_json: JsonOption = False,
) -> None:
    """Revoke an API key for good; running servers refuse it within 5 seconds."""
    key = bootstrap.run(operations.revoke_api_key(_settings(), key_id))
    if key is None:
        not_found(f"no API key with id {key_id} (see: ticketbridge apikey list)")
    if as_json:
        print_json(_key_body(key))
        return
    console.print(f"[green]✓[/green] API key {key.id} ({escape(key.name)}) is revoked")


def _key_body(key: ApiKey) -> dict[str, Any]:
    """What `apikey list --json` prints of a key: everything but the token's hash."""
    return {
        "id": key.id,
        "name": key.name,
        "scopes": sorted(key.scopes),
        "sources": sorted(key.sources),
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked": key.revoked,
    }


def _when(iso: str | None) -> str:
    return iso[:19].replace("T", " ") + " UTC" if iso else ""


@outbox_app.command("list")
@translate_errors
def outbox_list(
    state: Annotated[JobState | None, typer.Option(help="pending, running, done or dead.")] = (
        JobState.DEAD
    ),
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonOption = False,
) -> None:
    """List outbox jobs (by default the dead letters)."""
    jobs = [job_body(j) for j in bootstrap.run(operations.list_jobs(_settings(), state, limit))]
    if as_json:
        print_json([j.model_dump(mode="json") for j in jobs])
        return
    console.print(job_blocks(jobs) if jobs else f"no {state.value if state else ''} jobs")


@outbox_app.command("retry")
@translate_errors
def outbox_retry(job_id: int, as_json: JsonOption = False) -> None:
    """Make a dead job due again (after fixing what Jira refused)."""
    job = bootstrap.run(operations.retry_job(_settings(), job_id))
    _report_job(job, f"no dead outbox job {job_id} to retry", "is {state} again", as_json)


@outbox_app.command("drop")
@translate_errors
def outbox_drop(job_id: int, as_json: JsonOption = False) -> None:
    """Delete a dead or pending job for good."""
    job = bootstrap.run(operations.drop_job(_settings(), job_id))
    _report_job(job, f"no dead or pending outbox job {job_id}", "dropped", as_json)


def _report_job(view: JobView | None, missing: str, done: str, as_json: bool) -> None:
    if view is None:
        not_found(f"{missing} (see: ticketbridge outbox list --state dead)")
    job = job_body(view)
    if as_json:
        print_json(job.model_dump(mode="json"))
        return
    console.print(f"[green]✓[/green] job {job.id} " + done.format(state=job.state))


@translate_errors
def explain(
    alert_id: Annotated[str, typer.Argument(help="The alert's id (the source's id).")],
    source: Annotated[str | None, typer.Option(help="When ids collide across sources.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Why an alert got (or did not get) a ticket: state, decision, reasons, ticket."""
    view = bootstrap.run(operations.get_alert(_settings(), alert_id, source))
    if view is None:
        not_found(f"no alert {alert_id!r} (see: GET /v1/alerts)")
    alert = alert_body(view)
    trail = bootstrap.run(audit_cmd.alert_events(alert.source, alert.id))
    if as_json:
        print_json({**alert.model_dump(mode="json"), "audit_events": trail})
        return
    _print_alert(alert)
    console.print(f"  audit trail: {len(trail)} events")
    for event in trail:
        console.print(
            f"    {event['position']:>8}  {event['timestamp']}  {event['type']}  {event['id']}"
        )


def _print_alert(alert: AlertView) -> None:
    console.print(f"[bold]{escape(alert.title)}[/bold]  ({alert.source}/{escape(alert.id)})")
    console.print(f"  severity:    {alert.severity}   status: {alert.status}")
    console.print(f"  fingerprint: {alert.fingerprint}")
    console.print(f"  state:       {alert.state}")
    console.print(
        f"  decision:    {alert.decision or '(pending)'}  route: {alert.route or 'defaults'}"
    )
    for reason in alert.reasons:
        console.print(f"    • {reason}", markup=False)
    ticket = f"{alert.ticket.key}  {alert.ticket.url}" if alert.ticket else "(none yet)"
    console.print(f"  ticket:      {ticket}")
    jira = alert.jira
    if jira is not None:  # what Jira last told (two-way sync)
        status = "deleted in Jira" if jira.deleted_at else f"{jira.status} ({jira.status_category})"
        console.print(
            f"  in Jira:     {status}  resolution: {jira.resolution or '-'}", markup=False
        )
        console.print(
            f"               assignee: {jira.assignee or '-'}  priority: {jira.priority or '-'}",
            markup=False,
        )
    if alert.escalated_at:
        when = alert.escalated_at.isoformat(timespec="seconds")
        console.print(f"  escalated:   {alert.escalations} time(s), last {when} (sync.escalate)")
    if alert.sla is not None:
        console.print(f"  sla:         {_sla_line(alert.sla)}")


def _sla_line(sla: SlaState) -> str:
    """The SLA scan's finding: the worst clock and when it got at risk / breached."""
    moments = [
        f"{label} {at.isoformat(timespec='seconds')}"
        for label, at in (("at risk", sla.at_risk_at), ("breached", sla.breached_at))
        if at is not None
    ]
    return sla.state + (f" ({', '.join(moments)})" if moments else "")


def _safe_url(url: str) -> str:
    """A database URL without its password, for output."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def _settings() -> Settings:
    return bootstrap.load_settings()
