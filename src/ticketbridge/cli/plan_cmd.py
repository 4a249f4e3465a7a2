"""`ticketbridge plan FILE|-` and `ticketbridge replay FILE`: see before go-live, write nothing.

`plan` shows, for each alert, the route and why, the decision, every rendered field, the
description as Jira will get it (ADF on Cloud, wiki markup on Data Center) and the warnings of
the draft checked against the configured Jira's createmeta (read-only requests; `--offline`
skips them). `replay` runs a file of historical alerts through routing and dedup and reports
the predicted issues, the dedup ratio and the counts per route. Input: one JSON object, a JSON
list or JSON Lines, in the generic alert shape or a native source's (`--source keeptrusts`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ticketbridge import bootstrap
from ticketbridge.api.metrics import Metrics
from ticketbridge.cli.common import Exit, JsonOption, console, fail, print_json, translate_errors
from ticketbridge.cli.send_cmd import load_alerts
from ticketbridge.clock import system_clock
from ticketbridge.config import Config
from ticketbridge.config.settings import Settings
from ticketbridge.domain import Alert
from ticketbridge.domain.states import Flavor
from ticketbridge.errors import InputError, Problem
from ticketbridge.providers.base import Provider
from ticketbridge.render import to_adf, to_wiki
from ticketbridge.services import PipelineSettings, parse_alerts
from ticketbridge.services.alert_sync import alert_sources, parse_native
from ticketbridge.services.planning import PlannedIssue, Planner, ReplayStats

FileArg = Annotated[
    str, typer.Argument(help="Alerts: a JSON object, list or JSON Lines; - for stdin.")
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="ticketbridge.yaml (default: $TICKETBRIDGE_CONFIG)."),
]
SourceOption = Annotated[
    str, typer.Option("--source", "-s", help="The payloads' shape: generic or a native source.")
]


@translate_errors
def plan(
    file: FileArg,
    config: ConfigOption = None,
    source: SourceOption = "generic",
    offline: Annotated[bool, typer.Option(help="Do not read Jira's metadata.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Show what each alert would become in Jira (route, decision, fields, ADF, warnings)."""
    settings, loaded = _configuration(config)
    alerts = _alerts(file, source, loaded)
    planned = bootstrap.run(_plan_all(settings, loaded, alerts, offline))
    flavor: Flavor = loaded.primary_jira.flavor if loaded.primary_jira else "cloud"
    if as_json:
        print_json([_as_dict(item, flavor) for item in planned])
    else:
        for item in planned:
            _show(item, flavor)
    if any(item.error for item in planned):
        raise typer.Exit(int(Exit.FAILED))


@translate_errors
def replay(
    file: FileArg,
    config: ConfigOption = None,
    source: SourceOption = "generic",
    as_json: JsonOption = False,
) -> None:
    """Predict the issues a file of historical alerts would make: dedup ratio, per route."""
    _, loaded = _configuration(config)
    alerts = sorted(_alerts(file, source, loaded), key=lambda a: a.occurred_at)
    stats = _planner(loaded, None).replay(alerts)
    if as_json:
        print_json(stats.as_dict())
        return
    _show_replay(stats)


# --- loading ---------------------------------------------------------------------------------


def _configuration(path: Path | None) -> tuple[Settings, Config]:
    settings = bootstrap.load_settings()
    if path is not None:
        if not path.exists():
            fail(f"{path} does not exist", Exit.USAGE)
        settings = settings.model_copy(update={"config": path})
    return settings, bootstrap.load_configured(settings)


def _alerts(file: str, source: str, config: Config) -> list[Alert]:
    if source not in alert_sources():
        known = ", ".join(alert_sources())
        raise InputError(
            "unknown source", [Problem("--source", f"'{source}'; use one of: {known}")]
        )
    if file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(
                "cannot read alerts", [Problem(file, exc.strerror or str(exc))]
            ) from exc
    items = load_alerts(text)
    now = system_clock()
    fields = PipelineSettings.from_config(config).fingerprint_fields
    if source == "generic":
        return parse_alerts(items, now=now, fingerprint_fields=fields, max_batch=len(items))
    alerts: list[Alert] = []
    for item in items:
        alerts.extend(parse_native(source, item, now=now, fingerprint_fields=fields.get(source)))
    return alerts


def _planner(config: Config, provider: Provider | None) -> Planner:
    pipeline = PipelineSettings.from_config(config)
    router, composer = bootstrap.routing(config)
    return Planner(router, composer, pipeline, provider)


async def _plan_all(
    settings: Settings, config: Config, alerts: list[Alert], offline: bool
) -> list[PlannedIssue]:
    connection = None if offline else bootstrap.effective_jira(settings, config)
    async with bootstrap.stored_tokens(settings) as oauth:  # an OAuth 2.0 connection's tokens
        allowed = settings.outbound_allow
        provider = (
            bootstrap.build_provider(connection.jira, Metrics(), allowed=allowed, oauth=oauth)
            if connection
            else None
        )
        try:
            planner = _planner(config, provider)
            return [await planner.plan(alert) for alert in alerts]
        finally:
            if provider is not None:
                await provider.aclose()


# --- output ----------------------------------------------------------------------------------


def _as_dict(item: PlannedIssue, flavor: Flavor) -> dict[str, Any]:
    draft = item.draft
    data: dict[str, Any] = {
        "alert": {"source": item.alert.source, "id": item.alert.id},
        "fingerprint": item.alert.fingerprint,
        "route": item.route.name,
        "decision": item.decision.value,
        "reasons": list(item.reasons),
        "warnings": list(item.warnings),
        "error": item.error,
    }
    if draft is not None:
        description = draft.description
        data["issue"] = {
            "project": draft.project,
            "issue_type": draft.issue_type,
            "summary": draft.summary,
            "priority": draft.priority,
            "labels": list(draft.labels),
            "components": list(draft.components),
            "assignee": draft.assignee,
            "due_date": draft.due_date.isoformat() if draft.due_date else None,
            "parent": draft.parent,
            "epic": _epic(item),
            "fields": dict(draft.fields),
            "marker": draft.marker.label if draft.marker else None,
            "description": None
            if description is None
            else (to_adf(description) if flavor == "cloud" else to_wiki(description)),
        }
    return data


def _epic(item: PlannedIssue) -> dict[str, str] | None:
    """The epic the issue goes under (created once per group key), when its route groups."""
    group = item.route.group
    if group is None:
        return None
    return {"project": group.project, "key": group.key, "summary": group.summary}


def _show(item: PlannedIssue, flavor: Flavor) -> None:
    data = _as_dict(item, flavor)
    alert = item.alert
    console.rule(f"[bold]{alert.source}/{alert.id}[/bold]  {alert.title}", style="dim")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("route", item.route.name or "defaults")
    table.add_row("decision", item.decision.value)
    table.add_row("why", "\n".join(item.reasons))
    issue = data.get("issue") or {}
    for name in ("project", "issue_type", "summary", "priority", "assignee", "due_date", "parent"):
        if issue.get(name):
            table.add_row(name, str(issue[name]))
    if epic := issue.get("epic"):
        table.add_row("epic", f"{epic['summary']} ({epic['project']}, group key {epic['key']!r})")
    for name in ("labels", "components"):
        if issue.get(name):
            table.add_row(name, ", ".join(issue[name]))
    for name, value in (issue.get("fields") or {}).items():
        table.add_row(f"field {name}", json.dumps(value, ensure_ascii=False, default=str))
    console.print(table, markup=False)
    for warning in item.warnings:
        console.print(f"[yellow]⚠[/yellow] {warning}", markup=True, highlight=False)
    if item.error:
        console.print(f"[red]✗ rendering failed:[/red] {item.error}")
    if issue.get("description") is not None:
        label = "ADF (Jira Cloud)" if flavor == "cloud" else "wiki markup (Jira Data Center)"
        console.print(f"[bold]description[/bold] — {label}:")
        console.print(_description_text(issue["description"]), markup=False)


def _description_text(description: Any) -> str:
    """Wiki markup as is; ADF one top-level node per line, compact (a long table stays one
    line instead of hundreds)."""
    if isinstance(description, str):
        return description
    nodes = [json.dumps(node, ensure_ascii=False) for node in description["content"]]
    return '{"version": 1, "type": "doc", "content": [\n  ' + ",\n  ".join(nodes) + "\n]}"


def _show_replay(stats: ReplayStats) -> None:
    console.print(f"alerts:            {stats.alerts}")
    console.print(f"ticketable alerts: {stats.ticketable}")
    console.print(f"predicted issues:  {stats.predicted_issues}")
    if stats.epics:
        console.print(f"predicted epics:   {len(stats.epics)} (group keys, one epic each)")
    console.print(f"dedup ratio:       {stats.dedup_ratio:.1%}")
    decisions = ", ".join(f"{k} {v}" for k, v in sorted(stats.decisions.items()))
    console.print(f"decisions:         {decisions}")
    table = Table(title="per route")
    table.add_column("route")
    table.add_column("alerts", justify="right")
    table.add_column("issues", justify="right")
    for name, count in sorted(stats.alerts_per_route.items()):
        table.add_row(name, str(count), str(stats.issues_per_route[name]))
    console.print(table)
    if stats.issues_per_project:
        projects = ", ".join(f"{k} {v}" for k, v in sorted(stats.issues_per_project.items()))
        console.print(f"issues per project: {projects}")
