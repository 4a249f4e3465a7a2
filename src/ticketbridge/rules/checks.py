"""Routing conditions checked while the YAML is loaded, so that their problems are listed with
the schema's: `load_config(path, checks=[check_conditions])`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ticketbridge.config import ConfigDocument, load_config
from ticketbridge.errors import Problem
from ticketbridge.rules.expressions import ConditionCompiler
from ticketbridge.rules.router import Router

__all__ = ["check_conditions", "load_router"]


def check_conditions(document: ConfigDocument) -> list[Problem]:
    """Type-check every `routes[*].when` and `assignments[*].when` written in the document."""
    data = document.data if isinstance(document.data, dict) else {}
    compiler = ConditionCompiler()
    problems: list[Problem] = []
    for section, label in (("routes", "route"), ("assignments", "assignment")):
        entries = data.get(section)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict) or not isinstance(entry.get("when"), str):
                continue
            name = (
                entry.get("name") if isinstance(entry.get("name"), str) else f"{section}[{index}]"
            )
            for error in compiler.check(entry["when"]):
                where = (section, index, "when")
                problems.append(document.problem(where, f"{label} '{name}': {error.describe()}"))
    return problems


def load_router(
    path: Path | str | None = None,
    *,
    text: str | None = None,
    env: Any = None,
    known_templates: tuple[str, ...] = (),
) -> Router:
    """Load the configuration with its conditions checked, and build its Router (`.config`)."""
    config = load_config(
        path, text=text, env=env, checks=[check_conditions], known_templates=known_templates
    )
    return Router(config)
