"""Jira at the command line for two-way sync: `search`, `reconcile`, `jira webhook register`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, TaskID

from ticketbridge import bootstrap
from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.bootstrap.jira_webhooks import (
    Registration,
    register_webhook,
    webhooks_pointing_at_us,
)
from ticketbridge.bootstrap.wiring import reconcile_runs
from ticketbridge.cli import dev_session
from ticketbridge.cli.common import (
    Exit,
    JsonOption,
    console,
    err_console,
    fail,
    print_json,
    translate_errors,
    wrapping_table,
)
from ticketbridge.config.durations import parse_duration
from ticketbridge.config.settings import Settings
from ticketbridge.providers.base import Issue
from ticketbridge.services.reconcile import ReconcileReport

jira_app = typer.Typer(help="Jira itself: the webhook that brings its changes back.")
webhook_app = typer.Typer(help="Our webhook in Jira.", no_args_is_help=True)
jira_app.add_typer(webhook_app, name="webhook")

SEARCH_PAGE = 100


@asynccontextmanager
async def _container(settings: Settings) -> AsyncIterator[bootstrap.Container]:
    async with bootstrap.open_container(dev_session.following_dev(settings)) as container:
        yield container


async def _search(settings: Settings, jql: str, limit: int) -> list[Issue]:
    found: list[Issue] = []
    async with _container(settings) as container:
        assert container.search is not None
        token: str | None = None
        while len(found) < limit:
            size = min(SEARCH_PAGE, limit - len(found))
            page = await container.search.search(jql, token, size)
            found.extend(page.issues)
            token = page.next_page_token
            if token is None or not page.issues:
                break
    return found[:limit]


def _issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "key": issue.key,
        "id": issue.id,
        "url": issue.url,
        "summary": issue.summary,
        "status": issue.status.name,
        "status_category": issue.status.category,
        "resolution": issue.resolution,
        "assignee": issue.assignee.display_name if issue.assignee else None,
        "updated": issue.updated.isoformat(),
    }


@translate_errors
def search(
    jql: Annotated[str, typer.Argument(help="The JQL query, passed to Jira as written.")],
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Search Jira with JQL (through the connection in effect)."""
    if not jql.strip() or len(jql) > 4000:
        fail("JQL: give a query of 1 to 4,000 characters", Exit.USAGE)
    issues = bootstrap.run(_search(bootstrap.load_settings(), jql, limit))
    if as_json:
        print_json([_issue_json(i) for i in issues])
        return
    table = wrapping_table("key", "status", "summary", "assignee", "updated")
    for issue in issues:
        assignee = issue.assignee.display_name if issue.assignee else ""
        table.add_row(
            issue.key,
            f"{issue.status.name} ({issue.status.category})",
            issue.summary,
            assignee,
            issue.updated.isoformat(timespec="minutes"),
        )
    console.print(table)
    console.print(f"{len(issues)} issue(s)")


@webhook_app.command("register")
@translate_errors
def webhook_register(
    url: Annotated[
        str | None,
        typer.Option(
            help="Where Jira delivers (default: TICKETBRIDGE_PUBLIC_URL/v1/jira/webhook)."
        ),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(help="The signing secret (default: the stored one, else a new one)."),
    ] = None,
    site: Annotated[
        str | None,
        typer.Option(help="Another Jira site of `jira.sites` (default: the default site)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Register our webhook in Jira (admin REST API): the events two-way sync reads, a JQL
    filter on our projects, a secret. Without the permission: the exact steps, exit 1."""
    settings = bootstrap.load_settings()
    config = bootstrap.load_configured(settings)
    done = bootstrap.run(register_webhook(settings, config, url=url, secret=secret, site=site))
    if as_json:
        print_json(_registration_json(done))
    else:
        _print_registration(done)
    if done.outcome == "not_permitted":
        raise typer.Exit(int(Exit.FAILED))


def _registration_json(done: Registration) -> dict[str, Any]:
    plan = done.plan
    return {
        "outcome": done.outcome,
        "webhook": done.webhook,
        "url": plan.url,
        "jql": plan.jql,
        "events": list(plan.events),
        "steps": list(done.steps),
    }


def _print_registration(done: Registration) -> None:
    where = escape(done.plan.url)
    if done.outcome == "registered":
        console.print(f"[green]✓[/green] webhook registered: Jira delivers to {where}")
    elif done.outcome == "exists":
        console.print(f"[green]✓[/green] a webhook to {where} is already registered")
    else:
        console.print(
            "[yellow]![/yellow] this Jira account may not register webhooks (Jira "
            "administrators only). Ask an administrator to do this:"
        )
        for n, step in enumerate(done.steps, 1):
            console.print(f"  {n}. {step}", markup=False)
    if done.plan.jql:
        console.print(f"  filter: {escape(done.plan.jql)}")


def webhook_check(settings: Settings, candidate: StoredConnection | None) -> list[str] | None:
    """For `config jira --test`: the webhooks in Jira that deliver to us (None: the account
    may not list them)."""
    connection = candidate or bootstrap.effective_jira(
        settings, bootstrap.load_configured(settings)
    )
    if connection is None:
        return None
    return bootstrap.run(webhooks_pointing_at_us(settings, connection, None))


def webhook_verdict(hooks: list[str] | None) -> str:
    if hooks is None:
        return "? cannot list webhooks (only Jira administrators may): check it in Jira"
    if not hooks:
        return "✗ no webhook delivers to us: run `ticketbridge jira webhook register`"
    return "✓ Jira delivers to " + ", ".join(hooks)


async def _reconcile(
    settings: Settings,
    since: timedelta | None,
    dry_run: bool,
    sweep: bool | None,
    quiet: bool,
    site: str | None = None,
) -> ReconcileReport:
    async with _container(settings) as container, reconcile_runs(container, site) as runs:
        start = container.now() - since if since is not None else None
        with Progress(console=err_console, transient=True, disable=quiet) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=total)
                bar.update(tasks[phase], completed=done, total=total)

            return await runs.run_once(since=start, dry_run=dry_run, sweep=sweep, progress=progress)


_PHASES = {"search": "searching Jira", "apply": "applying changes", "sweep": "existence sweep"}


@translate_errors
def reconcile(
    since: Annotated[
        str | None,
        typer.Option(help="Look back this far (2d, 6h) instead of from the last watermark."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and report; apply and save nothing.")
    ] = False,
    sweep: Annotated[
        bool | None,
        typer.Option(
            "--sweep/--no-sweep", help="Check every tracked issue still exists (default: daily)."
        ),
    ] = None,
    site: Annotated[
        str | None,
        typer.Option(help="Another Jira site of `jira.sites` (default: the default site)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Repair what lost webhooks missed: Jira's changes to our issues since the watermark."""
    lookback = None
    if since is not None:
        try:
            lookback = parse_duration(since)
        except ValueError as exc:
            fail(f"--since: {exc}", Exit.USAGE)
    settings = bootstrap.load_settings()
    report = bootstrap.run(_reconcile(settings, lookback, dry_run, sweep, as_json, site))
    if as_json:
        print_json(_report_json(report))
        return
    verb = "would apply" if dry_run else "applied"
    console.print(
        f"[green]✓[/green] {report.changed} changed issue(s), {report.deleted} deleted; "
        f"{verb}: {dict(report.outcomes) or 'nothing'}; {report.requests} Jira request(s)"
    )
    for observation in report.observed:
        state = "deleted" if observation.deleted else observation.status_category
        console.print(f"  {observation.issue_key}  {state}  {observation.updated:%Y-%m-%d %H:%M}")


def _report_json(report: ReconcileReport) -> dict[str, Any]:
    return {
        "site": report.site,
        "jql": report.jql,
        "since": report.since,
        "searched": report.searched,
        "changed": report.changed,
        "deleted": report.deleted,
        "swept": report.swept,
        "dry_run": report.dry_run,
        "outcomes": dict(report.outcomes),
        "requests": report.requests,
        "watermark": report.watermark,
        "observed": [
            {
                "issue": o.issue_key,
                "id": o.issue_id,
                "updated": o.updated,
                "status_id": o.status_id,
                "status_category": o.status_category,
                "resolution": o.resolution,
                "deleted": o.deleted,
            }
            for o in report.observed
        ],
    }
