"""What the one loader (`bootstrap.load_config`) checks beyond the YAML's schema: the parts of
a configuration only the layers above `config` can judge.

- `check_sources`: every key under `sources:` names a source this build has (a typo would
  otherwise leave the real source without credentials, refusing every request);
- `built_problems`: what building the process from the configuration refuses — the CEL
  conditions, every template and templated field compiled, the Jira URL before any DNS, an
  authentication this build cannot use yet — each problem pointed at its YAML key and line;
- `warn_inactive`: the start-up warning for each setting that is set but not active yet
  (`config.inactive`), which `config check` prints too.

`serve`, `worker`, `dev`, `plan`, the library and `config check` all load through it, so they
refuse the same files with the same messages.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import structlog

from ticketbridge.bootstrap.jira import Networks, jira_url_problem
from ticketbridge.config.document import ConfigDocument, format_path
from ticketbridge.config.inactive import inactive_settings
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.schema import Config, Location
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.sources import SOURCES

_TEMPLATES = "templates."
log = structlog.get_logger("ticketbridge")


def warn_inactive(config: Config, settings: Settings) -> list[Problem]:
    """Log (start-up) and return each setting that is set but does nothing in this build."""
    found = inactive_settings(config, settings)
    for problem in found:
        log.warning(
            "setting_not_active", key=problem.path, line=problem.line, detail=problem.message
        )
    return found


def check_sources(document: ConfigDocument) -> list[Problem]:
    """Each `sources.<name>` is a source of this build."""
    data = document.data if isinstance(document.data, dict) else {}
    sources = data.get("sources")
    known = sorted(SOURCES)
    problems: list[Problem] = []
    for name in sources if isinstance(sources, dict) else {}:
        if name in SOURCES:
            continue
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"sources are: {', '.join(known)}"
        problems.append(document.problem(("sources", name), f"unknown source; {hint}"))
    return problems


def built_problems(
    config: Config, allowed: Networks, build: Callable[[Config], object]
) -> list[Problem]:
    """What building the process from `config` (`build`: the routing and templates, as
    `serve` builds them) and connecting to its Jira would refuse."""
    problems: list[Problem] = []
    single = isinstance(config.jira, JiraConfig)  # else `jira.sites`: paths name the site
    for name, jira in config.sites.items():
        refused = jira_url_problem(jira, allowed)
        if refused is not None:
            path = refused.path if single else refused.path.replace("jira.", f"jira.sites.{name}.")
            where = tuple(path.split("."))
            problems.append(Problem(path, refused.message, config.line_of(*where)))
    try:
        build(config)
    except ConfigError as error:
        problems.extend(_located(problem, config) for problem in error.problems)
    return problems


def _located(problem: Problem, config: Config) -> Problem:
    """A template's problem (`templates.<compiled name>`, the line inside the template) at the
    YAML key that holds the template, with the file's line."""
    if not problem.path.startswith(_TEMPLATES):
        return problem
    location = _template_location(problem.path.removeprefix(_TEMPLATES), config)
    if location is None:
        return problem
    inner = f" (line {problem.line} of the template)" if problem.line is not None else ""
    return Problem(format_path(location), problem.message + inner, config.line_of(*location))


def _template_location(compiled: str, config: Config) -> Location | None:
    """Where the template compiled under this name is written (see services.templated and
    services.grouping for the names)."""
    if compiled.startswith("fields."):
        return _field_location(compiled.removeprefix("fields."), config)
    if compiled in _ROUTE_VALUES:
        return _value_location(compiled, config)
    if compiled.startswith("routes."):
        rest = compiled.removeprefix("routes.")
        for index, route in enumerate(config.routes):
            if rest == f"{route.name}.link":
                return ("routes", index, "link")
            if rest.startswith(f"{route.name}.group."):
                return ("routes", index, "group", rest.removeprefix(f"{route.name}.group."))
        return None
    name, _, part = compiled.rpartition(".")
    return ("templates", name, part) if name in config.templates else None


_ROUTE_VALUES = ("labels", "components", "assignee", "due")


def _value_location(key: str, config: Config) -> Location | None:
    """The first block whose `key` (labels, components, assignee, due) holds a template."""
    blocks: list[tuple[Location, Any]] = [(("defaults",), config.defaults)]
    blocks += [(("routes", i), route) for i, route in enumerate(config.routes)]
    blocks += [(("assignments", i), rule) for i, rule in enumerate(config.assignments)]
    for block, values in blocks:
        value = getattr(values, key, None)
        if any(mark in str(value) for mark in ("{{", "{%", "{#")):
            return (*block, key)
    return None


def _field_location(field: str, config: Config) -> Location | None:
    """The first block whose value of `field` is a template (the composer compiles them in
    this order, and stops at the first that fails)."""
    blocks: list[tuple[Location, dict[str, Any]]] = [(("defaults",), config.defaults.fields)]
    blocks += [(("routes", i), route.fields) for i, route in enumerate(config.routes)]
    for block, fields in blocks:
        if field in fields and any(mark in str(fields[field]) for mark in ("{{", "{%", "{#")):
            return (*block, "fields", field)
    return None
