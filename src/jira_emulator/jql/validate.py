"""Validation of a parsed query: fields, operators, values and functions, in Jira's words.

All problems are collected (Jira lists every one in `errorMessages`), in query order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from jira_emulator.jql.ast import (
    And,
    Clause,
    Empty,
    Function,
    ListOperand,
    Literal,
    Not,
    Or,
    Sort,
    Terminal,
)
from jira_emulator.jql.evaluate import flatten
from jira_emulator.jql.fields import FieldKind, FieldNames, kind_of, operators_for
from jira_emulator.jql.values import (
    DATE_FORMATS_HINT,
    Context,
    FunctionProblem,
    call_function,
    parse_date,
)

_LIST_OPERATORS = frozenset(("in", "not in"))
_NO_EMPTY_SEARCH = frozenset(("comment", "text"))


def _terminals(clause: Clause) -> Iterator[Terminal]:
    if isinstance(clause, Terminal):
        yield clause
    elif isinstance(clause, Not):
        yield from _terminals(clause.clause)
    elif isinstance(clause, And | Or):
        for child in clause.clauses:
            yield from _terminals(child)


def _shape_problems(clause: Terminal) -> Iterator[str]:
    name, operator, operand = clause.field.written, clause.operator, clause.operand
    if operator in _LIST_OPERATORS and not isinstance(operand, ListOperand | Function):
        yield (
            f"Operator '{operator}' does not support the non-list value "
            f"'{operand.display()}' for field '{name}'."
        )
    if operator not in _LIST_OPERATORS and isinstance(operand, ListOperand):
        yield (
            f"Operator '{operator}' does not support the list value "
            f"'{operand.display()}' for field '{name}'."
        )
    if operator in ("is", "is not") and not isinstance(operand, Empty):
        yield f"The operator '{operator}' only supports searching for EMPTY values."


def _value_problems(clause: Terminal, item: object, context: Context) -> Iterator[str]:
    name, kind = clause.field.written, kind_of(clause.field.canonical)
    if isinstance(item, Function):
        try:
            call_function(item, context)
        except FunctionProblem as problem:
            yield str(problem)
    elif isinstance(item, Empty) and clause.field.canonical in _NO_EMPTY_SEARCH:
        yield f"The field '{name}' does not support searching for an empty string."
    elif isinstance(item, Literal):
        if kind is FieldKind.TEXT and not item.text.strip():
            yield f"The field '{name}' does not support searching for an empty string."
        if (
            kind is FieldKind.DATE
            and parse_date(item.text, context.now, number=item.number) is None
        ):
            yield f"Date value '{item.text}' for field '{name}' is invalid. {DATE_FORMATS_HINT}"


def _known_value_problems(
    clause: Terminal, known_values: Mapping[str, Collection[str]]
) -> Iterator[str]:
    allowed = known_values.get(clause.field.canonical)
    if allowed is None or clause.operator in ("~", "!~"):
        return
    folded = {str(value).casefold() for value in allowed}
    for item in flatten(clause.operand):
        if isinstance(item, Literal) and item.text.casefold() not in folded:
            yield f"The value '{item.text}' does not exist for the field '{clause.field.written}'."


def _clause_problems(
    clause: Terminal,
    names: FieldNames,
    known_values: Mapping[str, Collection[str]],
    context: Context,
) -> Iterator[str]:
    field = clause.field
    if not names.exists(field.canonical):
        yield f"Field '{field.written}' does not exist or you do not have permission to view it."
        return
    shape = list(_shape_problems(clause))
    if shape:
        yield from shape
        return
    if clause.operator not in operators_for(field.canonical):
        yield f"The operator '{clause.operator}' is not supported by the '{field.written}' field."
        return
    for item in flatten(clause.operand):
        yield from _value_problems(clause, item, context)
    yield from _known_value_problems(clause, known_values)


def _sort_problems(sort: Sort, names: FieldNames) -> Iterator[str]:
    canonical = sort.field.canonical
    if not names.exists(canonical):
        yield f"Not able to sort using field '{sort.field.written}'."
    elif not names.sortable(canonical):
        yield f"Field '{sort.field.written}' does not support sorting."


def problems(
    where: Clause | None,
    sorts: list[Sort],
    names: FieldNames,
    known_values: Mapping[str, Collection[str]],
    context: Context,
) -> list[str]:
    """Every problem Jira would report for the query, without duplicates, in order."""
    found: list[str] = []
    for clause in _terminals(where) if where is not None else ():
        found.extend(_clause_problems(clause, names, known_values, context))
    for sort in sorts:
        found.extend(_sort_problems(sort, names))
    return list(dict.fromkeys(found))
