"""The ticket's life has one place (issue 12 item 1): outside `ticketbridge.domain`, no module
builds a ticket in a new state or assigns a ticket's state fields; storage only rebuilds the
tickets it stores. A new feature that needs a ticket to change adds a transition to
`domain.life` instead."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

from ticketbridge.domain import Ticket

SRC = Path(__file__).resolve().parents[3] / "src" / "ticketbridge"
# Names other records share (a route's links, an issue's status and resolution, …) are left
# out so the check names only what is a ticket's.
SHARED = {"id", "fingerprint", "project", "status", "resolution", "links", "priority"}
STATE = {f.name for f in fields(Ticket)} - SHARED


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        where = f"{path.relative_to(SRC)}:{node.lineno}"
        assigned = sorted({k.arg for k in node.keywords if k.arg} & STATE)
        if name == "replace" and assigned:
            found.append(f"{where} assigns {', '.join(assigned)}")
        if name == "Ticket" and path.parent.name != "storage":
            found.append(f"{where} builds a Ticket")
    return found


def test_only_the_domain_changes_a_ticket() -> None:
    modules = [p for p in SRC.rglob("*.py") if "domain" not in p.relative_to(SRC).parts]
    assert modules
    offences = [offence for path in modules for offence in _offences(path)]
    assert offences == []
