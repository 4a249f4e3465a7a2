"""ticketbridge.yaml loaded and checked, and what a process derives from it and from the
environment before anything is built: the routing and templates, the services' settings
(`pipeline_settings`) and the outbox workers' (`worker_settings_from`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ticketbridge.bootstrap.configuration import built_problems, check_sources
from ticketbridge.config.loader import parse_config
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings, load_settings
from ticketbridge.errors import ConfigError
from ticketbridge.render.builtin import builtin_names
from ticketbridge.rules import Router, check_conditions
from ticketbridge.services import (
    IssueComposer,
    PipelineSettings,
    RouteSeam,
    RulesRouter,
    WorkerSettings,
)
from ticketbridge.services.callback_requests import CallbackTargets
from ticketbridge.services.grouping import GroupingComposer, GroupingRouter, uses_grouping
from ticketbridge.services.templated import TemplateComposer


def load_config(
    path: Path | str | None = None,
    *,
    text: str | None = None,
    env: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    defaults_under: Mapping[str, Any] | None = None,
) -> Config:
    """The one way ticketbridge.yaml is loaded (every command, the API, the library, the tests):
    a file `path` or YAML `text` (neither: the defaults), `${VAR}`s from `env` (default: the
    process environment), checked for everything `serve` checks — the schema, the CEL
    conditions, the templates compiled, the sources, the Jira URL (with `settings`'
    TICKETBRIDGE_OUTBOUND_ALLOW; default: the settings `env` holds). `defaults_under`: the
    admin UI's stored `defaults:`, under the file's. ConfigError lists every problem with its
    path and line."""
    checks = (check_conditions, check_sources)
    config = parse_config(
        path,
        text=text,
        env=env,
        checks=checks,
        known_templates=builtin_names(),
        defaults_under=defaults_under,
    )
    allowed = (settings if settings is not None else load_settings(env)).outbound_allow
    problems = built_problems(config, allowed, _built)
    if problems:
        where = config.origin or "configuration"
        raise ConfigError(f"{where} is invalid ({len(problems)} problems)", problems)
    return config


def load_configured(settings: Settings) -> Config:
    """The configuration `settings.config` points at; the defaults when the default file is
    absent (so `make run` works with no file), an error when an explicitly set one is."""
    if not settings.config.exists() and "config" not in settings.model_fields_set:
        return load_config(settings=settings)
    return load_config(settings.config, settings=settings)


def routing(config: Config) -> tuple[RouteSeam, IssueComposer]:
    """The CEL rules and the templates. With no routes the rules engine still applies every
    default (priority by severity and by action, issue type by action, SLA, assignments), so a
    config without routes behaves exactly like the same defaults inside a routed config."""
    if uses_grouping(config):  # epics per group key, links (services/grouping.py)
        composer = GroupingComposer(TemplateComposer.from_config(config), config)
        return GroupingRouter(Router(config)), composer
    return RulesRouter(Router(config)), TemplateComposer.from_config(config)


def _built(config: Config) -> None:
    """What a process builds from `config` that can refuse it: routing, templates, callbacks."""
    routing(config)
    CallbackTargets(config.callbacks)


def pipeline_settings(config: Config) -> PipelineSettings:
    """The services' settings from the YAML (`defaults`, `sync`, `sources`)."""
    return PipelineSettings.from_config(config)


def worker_settings_from(settings: Settings) -> WorkerSettings:
    """The outbox workers' settings from the environment's (`TICKETBRIDGE_JOB_*`)."""
    return WorkerSettings.from_settings(settings)
