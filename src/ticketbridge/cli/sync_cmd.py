"""Two-way sync at the command line: `search JQL`, `reconcile` and `jira webhook register`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import typer
from rich.markup import escape

from ticketbridge import bootstrap
from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.bootstrap.jira_webhooks import (
    Registration,
    register_webhook,
    webhooks_pointing_at_us,
)
from ticketbridge.cli import dev_session
from ticketbridge.cli.common import (
    Exit,
    JsonOption,
    console,
    fail,
    print_json,
    translate_errors,
    wrapping_table,
)
from ticketbridge.config.settings import Settings
from ticketbridge.providers.base import Issue

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
    as_json: JsonOption = False,
) -> None:
    """Register our webhook in Jira (admin REST API): the events two-way sync reads, a JQL
    filter on our projects, a secret. Without the permission: the exact steps, exit 1."""
    settings = bootstrap.load_settings()
    config = bootstrap.load_configured(settings)
    done = bootstrap.run(register_webhook(settings, config, url=url, secret=secret))
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
