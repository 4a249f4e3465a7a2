"""Defaults and mappings edited in the admin UI (SPEC §3: the UI and `ticketbridge config`
edit the same settings, stored in the database; a value set in ticketbridge.yaml wins and is
shown read-only with its origin).

A save is validated whole before anything is stored: the stored values laid over
ticketbridge.yaml go through the config loader (`SettingsApplier.check`, every check `serve`
makes), then stored, recorded as a UI change, and applied to the running process's routing
without a restart (`SettingsApplier.apply`); other processes follow within seconds
(`run_forever`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import structlog

from ticketbridge.clock import Clock
from ticketbridge.config.loader import TOP_LEVEL_UNDER
from ticketbridge.domain import Severity
from ticketbridge.errors import ConfigError, InputError, Problem
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.services.ui_changes import record_change

DEFAULTS_KEY = "defaults"
# What the UI edits: keys of `defaults:`, the assignment rules and teams (`assignments:`,
# `teams:`, each whole), and two-way sync's mappings under `sync:` (dotted)
EDITABLE = (
    "project",
    "issue_type",
    "priority",
    "due",
    "assignee",
    "labels",
    "components",
    "fields",
    "assignments",
    "teams",
    "sync.status_ids",
    "sync.resolutions",
)
YAML = "ticketbridge.yaml"
log = structlog.get_logger("ticketbridge.settings")


class SettingsApplier(Protocol):
    def check(self, overlay: Mapping[str, Any]) -> object:
        """The configuration with `overlay` under `defaults:` (where ticketbridge.yaml sets
        nothing), validated whole; ConfigError lists every problem."""
        ...

    def apply(self, checked: object) -> None:
        """Route and render with the checked configuration from the next alert on."""
        ...


@dataclass(frozen=True)
class Setting:
    name: str
    value: Any
    origin: str  # ticketbridge.yaml (read-only here), stored, or default

    @property
    def read_only(self) -> bool:
        return self.origin == YAML


class StoredDefaults:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        applier: SettingsApplier,
        in_yaml: Collection[str],
        effective: Mapping[str, Any],
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._applier = applier
        self._in_yaml = frozenset(in_yaml)
        self._effective = dict(effective)  # the values in use before any stored one
        self._version = 0  # of the stored values this process routes with (0: none)
        self._refused = 0  # a stored version that does not fit this process's file

    async def stored(self) -> dict[str, Any]:
        return (await self._stored_version())[0]

    async def _stored_version(self) -> tuple[dict[str, Any], int]:
        async with self._uow_factory() as uow:
            found = await uow.accounts.setting(DEFAULTS_KEY)
        values, version = found if found else ({}, 0)
        return {k: v for k, v in values.items() if k in EDITABLE}, version

    async def settings(self) -> list[Setting]:
        stored = await self.stored()
        shown: list[Setting] = []
        for name in EDITABLE:
            if name in self._in_yaml:
                shown.append(Setting(name, self._effective.get(name), YAML))
            elif name in stored:
                shown.append(Setting(name, stored[name], "stored"))
            else:
                shown.append(Setting(name, self._effective.get(name), "default"))
        return shown

    async def load(self) -> None:
        """At start: apply what is stored (checked like a save; a stored value that no longer
        fits ticketbridge.yaml stops the start with the problems, as a bad file does)."""
        stored, version = await self._stored_version()
        if stored:
            self._applier.apply(self._applier.check(stored))
        self._version = version

    async def follow(self) -> bool:
        """Apply values another process saved since (True when something changed); values
        that do not fit this process's ticketbridge.yaml are refused once, loudly, and the
        routing in use stays."""
        stored, version = await self._stored_version()
        if version in (self._version, self._refused):
            return False
        try:
            checked = self._applier.check(stored)
        except ConfigError as error:
            self._refused = version
            problems = [str(p) for p in error.problems]
            log.error("stored_defaults_refused", version=version, problems=problems)
            return False
        self._applier.apply(checked)
        self._version = version
        log.info("stored_defaults_applied", version=version)
        return True

    async def run_forever(
        self, stop: asyncio.Event, every: timedelta = timedelta(seconds=5)
    ) -> None:
        """Follow the stored values until `stop`: every process that routes alerts (serve,
        worker) uses a save made in any of them within `every`."""
        while not stop.is_set():
            try:
                await self.follow()
            except Exception:  # a worker loop (the database away): log, keep going
                log.exception("stored_defaults_follow_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every.total_seconds())

    async def save(self, values: Mapping[str, Any], actor: str) -> dict[str, Any]:
        """Store `values` (some of EDITABLE) over what is stored; InputError for a key that
        ticketbridge.yaml sets, ConfigError when the whole no longer validates."""
        fixed = sorted(k for k in values if k in self._in_yaml)
        if fixed:
            problems = [Problem(_path(k), f"set in {YAML}, which wins") for k in fixed]
            raise InputError(f"edit {YAML} for these", problems)
        unknown = sorted(k for k in values if k not in EDITABLE)
        if unknown:
            raise InputError("unknown settings", [Problem(k, "not editable here") for k in unknown])
        merged = {**await self.stored(), **values}
        checked = self._applier.check(merged)
        async with self._uow_factory() as uow:
            version = await uow.accounts.put_setting(DEFAULTS_KEY, merged, self._clock(), actor)
            detail = {"values": dict(values), "version": version}
            await record_change(uow, self._clock(), actor, "settings.defaults", "defaults", detail)
            await uow.commit()
        self._applier.apply(checked)
        self._version = version
        return merged


def _path(name: str) -> str:
    return name if name.startswith("sync.") or name in TOP_LEVEL_UNDER else f"defaults.{name}"


def severities() -> list[str]:
    return [s.value for s in Severity]
