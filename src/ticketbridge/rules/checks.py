"""Routing conditions checked while the YAML is loaded, so that their problems are listed with
the schema's (`ticketbridge.bootstrap.load_config` runs `check_conditions` over the document)."""

from __future__ import annotations

from ticketbridge.config import ConfigDocument
from ticketbridge.errors import Problem
from ticketbridge.rules.expressions import ConditionCompiler


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
