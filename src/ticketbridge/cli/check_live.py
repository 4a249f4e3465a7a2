"""`ticketbridge config check --live`: the routes and templates checked against the live Jira.

Beyond the offline check (schema, CEL types, template names), every route (and the defaults)
is turned into the issue it would create — project, issue type, priority, labels with the
marker, components, assignee, due date, its fields — and checked with `draft_warnings` against
Jira's own metadata: the project exists, the issue type is available there, the priority
exists, each field exists and is on the create screen, option values are allowed, users exist,
required fields are set. Templates are compiled. Only read requests are made.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from ticketbridge import bootstrap
from ticketbridge.api.metrics import Metrics
from ticketbridge.cli import config_cmd, operations
from ticketbridge.cli.common import Exit, JsonOption, console, fail, print_json, translate_errors
from ticketbridge.config import Config, RouteConfig
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.settings import Settings
from ticketbridge.domain import Severity
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.providers.base import IssueDraft, Marker, Provider
from ticketbridge.render import Document
from ticketbridge.services.planning import draft_warnings
from ticketbridge.services.templated import TemplateComposer

_JINJA_MARKS = ("{{", "{%")


@translate_errors
def config_check(
    file: Annotated[Path | None, typer.Argument(help="The file (default: --config).")] = None,
    config: config_cmd.ConfigPath = None,
    live: Annotated[
        bool, typer.Option("--live", help="Also check routes against the configured Jira.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Load and validate ticketbridge.yaml; list every problem with its path and line.
    With --live, also check every route against the live Jira's projects, issue types,
    priorities, users and create screens."""
    if not live:
        config_cmd.config_check(file=file, config=config, as_json=as_json)
        return
    settings = bootstrap.load_settings()
    path = file or config or settings.config
    if not path.exists():
        fail(f"{path} does not exist; pass the file or set TICKETBRIDGE_CONFIG", Exit.USAGE)
    loaded = bootstrap.load_config(path, settings=settings)
    TemplateComposer.from_config(loaded)  # every template and field template compiles
    connection = bootstrap.effective_jira(settings.model_copy(update={"config": path}), loaded)
    if connection is None:
        fail("no Jira is configured: add `jira:` or run `ticketbridge config jira`", Exit.USAGE)
    problems = bootstrap.run(_checked(loaded, connection.jira, settings))
    problems += _site_problems(settings.model_copy(update={"config": path}))
    if as_json:
        print_json(
            {
                "valid": not problems,
                "file": str(path),
                "live": True,
                "problems": [vars(p) for p in problems],
            }
        )
    elif problems:
        console.print(f"[red]✗[/red] {path}: {len(problems)} problem(s) against the live Jira")
        for problem in problems:
            console.print(f"  • {problem}", markup=False)
    else:
        console.print(
            f"[green]✓[/green] {path} is valid against the live Jira: "
            f"{len(loaded.routes)} route(s), {len(loaded.templates)} template(s)"
        )
    if problems:
        raise typer.Exit(int(Exit.USAGE))


def _site_problems(settings: Settings) -> list[Problem]:
    """Whether the store's tickets belong to another Jira site (`ticketbridge site`); nothing
    to say where there is no store yet."""
    try:
        report = bootstrap.run(operations.site_report(settings))
    except (ConfigError, SQLAlchemyError):
        return []
    return [
        Problem(
            "jira",
            f"the Jira site changed: {count} ticket(s) belong to {site}, not to "
            f"{report.current}; nothing is written until `ticketbridge site rebind --yes` or "
            "`ticketbridge site separate --yes`",
        )
        for site, count in sorted(report.others.items())
    ]


async def _checked(config: Config, jira: JiraConfig, settings: Settings) -> list[Problem]:
    async with bootstrap.stored_tokens(settings) as oauth:  # an OAuth 2.0 connection's tokens
        allowed, metrics = settings.outbound_allow, Metrics()
        provider = bootstrap.build_provider(jira, metrics, allowed=allowed, oauth=oauth)
        sites = {
            name: bootstrap.build_provider(site, metrics, allowed=allowed)
            for name, site in config.other_sites.items()
        }
        try:
            return await live_problems(config, provider, sites)
        finally:
            for opened in (provider, *sites.values()):
                await opened.aclose()


async def live_problems(
    config: Config, provider: Provider, sites: Mapping[str, Provider] | None = None
) -> list[Problem]:
    """Every route's would-be issue (and the defaults') checked against Jira's metadata: the
    default site's (`provider`), or for a route naming another site, that one's (`sites`)."""
    problems: list[Problem] = []
    for path, draft in _drafts(config):
        line = config.line_of(*path) if path else None
        where = _where(config, path)
        for warning in await draft_warnings(_site_of(config, path, provider, sites or {}), draft):
            problems.append(Problem(where, warning, line))
    known = {p.name.lower() for p in await provider.priorities()}
    defaults = config.defaults
    for section, table in (
        ("priority", defaults.priority),
        ("priority_by_action", defaults.priority_by_action),
    ):
        for key, name in table.items():
            if name.lower() not in known:
                label = key.value if isinstance(key, Severity) else key
                where = f"defaults.{section}.{label}"
                problems.append(Problem(where, f"priority '{name}' does not exist in Jira"))
    for index, rule in enumerate(config.assignments):
        if await provider.find_user(rule.assignee) is None:
            where = f"assignments[{index}].assignee"
            line = config.line_of("assignments", index, "assignee")
            problems.append(Problem(where, f"user '{rule.assignee}' is unknown to Jira", line))
    return _unique(problems)


def _site_of(
    config: Config, path: tuple[str | int, ...], default: Provider, sites: Mapping[str, Provider]
) -> Provider:
    """The provider of the site the draft at `path` goes to (a route's `site`, else the
    defaults')."""
    route = config.routes[path[1]] if path[:1] == ("routes",) and isinstance(path[1], int) else None
    site = (route.site if route else None) or config.defaults.site
    return sites.get(site, default) if site is not None else default


def _where(config: Config, path: tuple[str | int, ...]) -> str:
    """`routes[0] 'name'`, `defaults.issue_type_by_action` or `defaults`."""
    if len(path) == 2 and path[0] == "routes" and isinstance(path[1], int):
        return f"routes[{path[1]}] '{config.routes[path[1]].name}'"
    return ".".join(str(part) for part in path) or "defaults"


def _drafts(config: Config) -> list[tuple[tuple[str | int, ...], IssueDraft]]:
    defaults = config.defaults
    drafts: list[tuple[tuple[str | int, ...], IssueDraft]] = [
        ((), _draft(config, None, defaults.issue_type))
    ]
    for issue_type in sorted(set(defaults.issue_type_by_action.values())):
        drafts.append((("defaults", "issue_type_by_action"), _draft(config, None, issue_type)))
    for index, route in enumerate(config.routes):
        if route.action == "ignore":
            continue
        drafts.append(
            (("routes", index), _draft(config, route, route.issue_type or defaults.issue_type))
        )
    return drafts


def _draft(config: Config, route: RouteConfig | None, issue_type: str) -> IssueDraft:
    defaults = config.defaults
    fields = {**defaults.fields, **(route.fields if route else {})}
    components = route.components if route and route.components is not None else None
    due = (route.due if route else None) is not None or bool(defaults.due)
    return IssueDraft(
        project=(route.project if route else None) or defaults.project,
        issue_type=issue_type,
        summary="ticketbridge config check",
        description=Document.plain("x"),
        priority=route.priority if route else None,
        labels=tuple(defaults.labels) + tuple(route.labels if route else ()),
        components=tuple(components if components is not None else defaults.components),
        assignee=(route.assignee if route else None) or defaults.assignee,
        due_date=_SOME_DATE if due else None,
        fields={name: _literal(value) for name, value in fields.items()},
        marker=Marker("config-check"),
    )


def _literal(value: Any) -> Any:
    """A templated value is only known per alert: checked for presence, not for its value."""
    if isinstance(value, str) and any(mark in value for mark in _JINJA_MARKS):
        return _TEMPLATED
    if isinstance(value, list):
        return [v for v in (_literal(item) for item in value) if v != _TEMPLATED]
    return value


_TEMPLATED = ""  # an empty value is never compared with allowed values
_SOME_DATE = date(2026, 1, 1)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for problem in problems:
        key = (problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept
