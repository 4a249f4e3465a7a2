"""Defaults and mappings edited in the admin UI (SPEC §3: the UI and `ticketbridge config`
edit the same settings, stored in the database; a value set in ticketbridge.yaml wins and is
shown read-only with its origin).

A save is validated whole before anything is stored: the stored values laid over
ticketbridge.yaml go through the config loader (`SettingsApplier.check`, every check `serve`
makes), then stored, recorded as a UI change, and applied to the running process's routing
without a restart (`SettingsApplier.apply`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ticketbridge.clock import Clock
from ticketbridge.domain import Severity
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.ports import UnitOfWorkFactory

DEFAULTS_KEY = "defaults"
EDITABLE = ("project", "issue_type", "priority")  # the keys of `defaults:` the UI edits
YAML = "ticketbridge.yaml"


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

    async def stored(self) -> dict[str, Any]:
        async with self._uow_factory() as uow:
            found = await uow.accounts.setting(DEFAULTS_KEY)
        return {k: v for k, v in (found[0] if found else {}).items() if k in EDITABLE}

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
        stored = await self.stored()
        if stored:
            self._applier.apply(self._applier.check(stored))

    async def save(self, values: Mapping[str, Any], actor: str) -> dict[str, Any]:
        """Store `values` (some of EDITABLE) over what is stored; InputError for a key that
        ticketbridge.yaml sets, ConfigError when the whole no longer validates."""
        fixed = sorted(k for k in values if k in self._in_yaml)
        if fixed:
            problems = [Problem(f"defaults.{k}", f"set in {YAML}, which wins") for k in fixed]
            raise InputError(f"edit {YAML} for these", problems)
        unknown = sorted(k for k in values if k not in EDITABLE)
        if unknown:
            raise InputError("unknown settings", [Problem(k, "not editable here") for k in unknown])
        merged = {**await self.stored(), **values}
        checked = self._applier.check(merged)
        async with self._uow_factory() as uow:
            version = await uow.accounts.put_setting(DEFAULTS_KEY, merged, self._clock(), actor)
            detail = {"values": dict(values), "version": version}
            await uow.accounts.add_change(
                self._clock(), actor, "settings.defaults", "defaults", detail
            )
            await uow.commit()
        self._applier.apply(checked)
        return merged


def severities() -> list[str]:
    return [s.value for s in Severity]
