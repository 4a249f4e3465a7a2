"""The syntax tree of a parsed JQL query."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Literal:
    """A value: `text` is decoded; `number` when it was an unquoted integer."""

    text: str
    number: bool = False

    def display(self) -> str:
        """How Jira shows the value in messages (strings quoted, numbers bare)."""
        return self.text if self.number else f'"{self.text}"'


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[str, ...]

    def display(self) -> str:
        return f"{self.name}({', '.join(self.args)})"


@dataclass(frozen=True)
class Empty:
    def display(self) -> str:
        return "EMPTY"


@dataclass(frozen=True)
class ListOperand:
    items: tuple[Operand, ...]

    def display(self) -> str:
        return "(" + ", ".join(item.display() for item in self.items) + ")"


Operand = Literal | Function | Empty | ListOperand


@dataclass(frozen=True)
class FieldRef:
    """A field as written (`written`, for messages) and its canonical lowercase name.

    Canonical names: system fields lowercased with aliases applied (`type` → `issuetype`),
    `customfield_NNNNN` for `cf[NNNNN]`, and `issue.property[<key>].<path>` for entity
    properties (key lowercased, path as written).
    """

    written: str
    canonical: str


@dataclass(frozen=True)
class Terminal:
    field: FieldRef
    operator: str  # = != ~ !~ < <= > >= in "not in" is "is not"
    operand: Operand


@dataclass(frozen=True)
class And:
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Or:
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Not:
    clause: Clause


Clause = Terminal | And | Or | Not


@dataclass(frozen=True)
class Sort:
    field: FieldRef
    descending: bool
