"""The JQL builder quotes every value so that it parses back as exactly that one literal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jira_emulator.jql import RESERVED_WORDS, parse_jql
from ticketbridge.errors import InputError
from ticketbridge.providers.base import Marker
from ticketbridge.providers.jira import jql

CASES = [
    ("plain", '"plain"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    ("line\nbreak", '"line\\nbreak"'),
    ("x' OR 1=1", '"x\' OR 1=1"'),
    ("\x00", '"\\u0000"'),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_quote(value: str, expected: str) -> None:
    assert jql.quote(value) == expected


@given(st.text())
def test_any_value_parses_back_as_exactly_one_literal(value: str) -> None:
    query = jql.parse(jql.eq("labels", value))
    assert query.where == jql.Clause("labels", "=", (value,))


@given(st.text(), st.text())
def test_field_names_are_quoted_when_not_plain(field: str, value: str) -> None:
    query = jql.parse(jql.and_(jql.eq("project", "OPS"), jql.in_(field or "x", [value, "b"])))
    assert query.where == jql.And(
        (jql.Clause("project", "=", ("OPS",)), jql.Clause(field or "x", "in", (value, "b")))
    )


def test_marker_jql_names_the_labels() -> None:
    one, two = Marker("fp"), Marker("fp-2")
    assert jql.marker_jql([one]) == f'labels = "{one.label}"'
    first, second = sorted([one.label, two.label])
    assert jql.marker_jql([two, one, two]) == f'labels in ("{first}", "{second}")'
    with pytest.raises(InputError):
        jql.marker_jql([])


def test_empty_in_is_refused() -> None:
    with pytest.raises(InputError):
        jql.in_("labels", [])


@pytest.mark.parametrize("bad", ['labels = "open', "labels =", "(a = b", "a ! b"])
def test_parser_refuses_broken_queries(bad: str) -> None:
    with pytest.raises(InputError):
        jql.parse(bad)


@pytest.mark.parametrize("word", sorted(RESERVED_WORDS))
def test_a_reserved_word_as_field_name_is_quoted_and_parses(word: str) -> None:
    # Jira refuses a reserved word standing bare as a field (`date = "x"`); quoted it is a name.
    clause = jql.eq(word, "x")
    assert clause.startswith(f'"{word}"')
    parse_jql(clause, field_aliases={word: "customfield_10999"})  # JqlError if bare


@pytest.mark.parametrize("field", ["labels", "project", "cf[10010]", "statusCategory"])
def test_the_system_fields_we_write_stay_bare(field: str) -> None:
    assert jql.eq(field, "x") == f'{field} = "x"'
