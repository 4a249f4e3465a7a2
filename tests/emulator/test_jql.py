"""The emulator's JQL: which issues a query matches, how it sorts, and Jira's exact refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jira_emulator.jql import (
    UNBOUNDED_MESSAGE,
    JqlError,
    parse_jql,
    quote_jql,
)
from jira_emulator.jql.ast import Literal, Terminal

NOW = datetime(2024, 2, 15, 12, 0, tzinfo=UTC)
ALIASES = {"Escalation ID": "customfield_10010", "Risk Score": "customfield_10020"}
KNOWN = {"customfield_10010", "customfield_10020"}
ADMIN = ("acc-admin", "admin", "admin@example.com", "Admin")
BOB = ("acc-bob", "bob", "bob@example.com", "Bob Builder")


def _issue(key: str, **fields: Any) -> dict[str, Any]:
    project, number = key.split("-")
    doc: dict[str, Any] = {
        "project": project,
        "key": key,
        "id": str(10000 + int(number) + (100 if project == "SEC" else 0)),
        "issuetype": "Task",
        "status": "To Do",
        "statuscategory": "new",
        "priority": "Medium",
        "labels": [],
        "summary": "",
        "description": None,
        "comment": [],
        "assignee": [],
        "reporter": list(ADMIN),
        "created": NOW - timedelta(days=30),
        "updated": NOW - timedelta(days=30),
        "resolutiondate": None,
        "duedate": None,
        "resolution": None,
        "component": [],
        "parent": None,
    }
    doc.update(fields)
    return doc


DOCS = [
    _issue(
        "OPS-1",
        summary="Disk full on db-01",
        description="The disk alerted twice at 03:00",
        labels=["tb-managed", "sev1"],
        priority="High",
        assignee=list(ADMIN),
        created=NOW - timedelta(hours=2),
        updated=NOW - timedelta(minutes=10),
        customfield_10010="ESC-42",
        customfield_10020=7.5,
        component=["storage"],
        duedate=date(2024, 2, 20),
        **{"issue.property[tb].fingerprint": "fp-abc"},
    ),
    _issue(
        "OPS-2",
        summary="CPU alert on web-02",
        labels=["tb-managed"],
        status="In Progress",
        statuscategory="indeterminate",
        assignee=list(BOB),
        created=NOW - timedelta(days=3),
        customfield_10020=3,
        comment=["Looking into the windows host", "fixed by restart"],
    ),
    _issue(
        "OPS-10",
        summary="Certificate expired",
        status="Done",
        statuscategory="done",
        resolution="Done",
        resolutiondate=NOW - timedelta(days=1),
        created=datetime(2024, 1, 31, 10, 0, tzinfo=UTC),
        issuetype="Bug",
        description='Renewal failed: "quoted" words',
    ),
    _issue(
        "SEC-3",
        summary="Model drift detected",
        labels=["ai-gov"],
        priority="Highest",
        created=datetime(2024, 1, 1, tzinfo=UTC),
        parent="SEC-1",
        **{"issue.property[tb].fingerprint": "fp-xyz"},
    ),
]


def _keys(text: str) -> list[str]:
    query = parse_jql(text, field_aliases=ALIASES, known_fields=KNOWN, current_user=ADMIN, now=NOW)
    return [doc["key"] for doc in query.sort([d for d in DOCS if query.matches(d)])]


MATCHES: list[tuple[str, list[str]]] = [
    ("project = OPS", ["OPS-1", "OPS-2", "OPS-10"]),
    ("PROJECT = ops", ["OPS-1", "OPS-2", "OPS-10"]),
    ("project != OPS", ["SEC-3"]),
    ("project in (SEC, OPS) AND labels = tb-managed", ["OPS-1", "OPS-2"]),
    ("labels not in (sev1, ai-gov)", ["OPS-2"]),
    ("labels is EMPTY", ["OPS-10"]),
    ("labels is not empty AND labels != sev1", ["OPS-2", "SEC-3"]),
    ("labels = EMPTY", ["OPS-10"]),
    ("labels in (sev1, EMPTY)", ["OPS-1", "OPS-10"]),
    ("issuekey = OPS-2", ["OPS-2"]),
    ("key in (OPS-1, sec-3)", ["OPS-1", "SEC-3"]),
    ("id = 10002", ["OPS-2"]),
    ("key > OPS-1 AND project = OPS", ["OPS-2", "OPS-10"]),
    ("type = Bug", ["OPS-10"]),
    ('status = "In Progress"', ["OPS-2"]),
    ("statusCategory = Done", ["OPS-10"]),
    ('statusCategory in ("To Do", indeterminate)', ["OPS-1", "OPS-2", "SEC-3"]),
    ("statuscategory != done", ["OPS-1", "OPS-2", "SEC-3"]),
    ("priority in (High, Highest)", ["OPS-1", "SEC-3"]),
    ("resolution = Unresolved", ["OPS-1", "OPS-2", "SEC-3"]),
    ("resolution is not EMPTY", ["OPS-10"]),
    ("resolved >= -2d", ["OPS-10"]),
    ("assignee = currentUser()", ["OPS-1"]),
    ("assignee != currentUser()", ["OPS-2"]),
    ("assignee is EMPTY", ["OPS-10", "SEC-3"]),
    ("assignee is null", ["OPS-10", "SEC-3"]),
    ("assignee IS NOT NULL", ["OPS-1", "OPS-2"]),
    ('assignee = "bob@example.com"', ["OPS-2"]),
    ("assignee in (acc-bob, admin)", ["OPS-1", "OPS-2"]),
    ("NOT assignee = bob", ["OPS-1"]),
    ("NOT (assignee = bob OR assignee is EMPTY)", ["OPS-1"]),
    ("!(project = OPS) OR key = OPS-10", ["OPS-10", "SEC-3"]),
    ("project = OPS && labels = sev1 || labels = ai-gov", ["OPS-1", "SEC-3"]),
    ("project = OPS AND (labels = sev1 OR status = Done)", ["OPS-1", "OPS-10"]),
    ("summary ~ disk", ["OPS-1"]),
    ('summary ~ "ALERT"', ["OPS-2"]),
    ('summary ~ "cert*"', ["OPS-10"]),
    ('summary ~ "full db"', ["OPS-1"]),
    ('summary ~ "\\"db full\\""', []),
    ('summary ~ "\\"full on\\""', ["OPS-1"]),
    ('summary ~ "disk OR drift"', ["OPS-1", "SEC-3"]),
    ("summary !~ alert", ["OPS-1", "OPS-10", "SEC-3"]),
    ("description ~ alert", ["OPS-1"]),
    ("description !~ alert", ["OPS-10"]),
    ("description is EMPTY", ["OPS-2", "SEC-3"]),
    ("NOT description ~ alert", ["OPS-10"]),
    ('comment ~ "windows"', ["OPS-2"]),
    ('text ~ "restart"', ["OPS-2"]),
    ('text ~ "db-01"', ["OPS-1"]),
    ("description ~ 'quoted words'", ["OPS-10"]),
    ("created >= -1d", ["OPS-1"]),
    ('created > "-1w"', ["OPS-1", "OPS-2"]),
    ("created >= -5h AND created <= now()", ["OPS-1"]),
    ("created < -30m AND created > -180m", ["OPS-1"]),
    ("created >= -2w", ["OPS-1", "OPS-2"]),
    ("created >= -3w", ["OPS-1", "OPS-2", "OPS-10"]),
    ('created <= "2024-01-01"', ["SEC-3"]),
    ('created >= "2024-01-31 10:00" AND created < "2024/02/01"', ["OPS-10"]),
    ('created = "2024-01-31 10:00"', ["OPS-10"]),
    ("created >= startOfDay()", ["OPS-1"]),
    ("created >= startOfDay(-3d)", ["OPS-1", "OPS-2"]),
    ("updated > -15m", ["OPS-1"]),
    ("due <= 2024-02-20", ["OPS-1"]),
    ("duedate is EMPTY", ["OPS-2", "OPS-10", "SEC-3"]),
    ("component = storage", ["OPS-1"]),
    ("parent = SEC-1", ["SEC-3"]),
    ('"Escalation ID" = ESC-42', ["OPS-1"]),
    ("'escalation id' is not EMPTY", ["OPS-1"]),
    ("cf[10010] = esc-42", ["OPS-1"]),
    ("cf[10010] ~ esc", ["OPS-1"]),
    ("cf[10020] > 5", ["OPS-1"]),
    ('"Risk Score" <= 3', ["OPS-2"]),
    ("cf[10020] in (3, 7.5)", ["OPS-1", "OPS-2"]),
    ("issue.property[tb].fingerprint = fp-abc", ["OPS-1"]),
    ("issue.property[TB].fingerprint = FP-ABC", ["OPS-1"]),
    ('issue.property["tb"].fingerprint in ("fp-xyz", "fp-none")', ["SEC-3"]),
    ("issue.property[tb].fingerprint is EMPTY", ["OPS-2", "OPS-10"]),
    ("project = OPS ORDER BY created DESC", ["OPS-1", "OPS-2", "OPS-10"]),
    ("project = OPS ORDER BY key DESC", ["OPS-10", "OPS-2", "OPS-1"]),
    ("project = OPS ORDER BY key", ["OPS-1", "OPS-2", "OPS-10"]),
    (
        "project in (OPS, SEC) ORDER BY priority ASC, key DESC",
        ["OPS-10", "OPS-2", "OPS-1", "SEC-3"],
    ),
    ("project in (OPS, SEC) ORDER BY priority DESC, key", ["SEC-3", "OPS-1", "OPS-2", "OPS-10"]),
    ("project = OPS ORDER BY resolutiondate ASC, key", ["OPS-10", "OPS-1", "OPS-2"]),
    ("project = OPS ORDER BY duedate DESC, key", ["OPS-2", "OPS-10", "OPS-1"]),
]


@pytest.mark.parametrize(("jql", "expected"), MATCHES, ids=[m[0] for m in MATCHES])
def test_query_matches_exactly_these_issues(jql: str, expected: list[str]) -> None:
    got = _keys(jql)
    if " ORDER BY " not in jql.upper():
        got, expected = sorted(got), sorted(expected)
    assert got == expected


P = "Error in the JQL Query: "
OPS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)
REFUSALS: list[tuple[str, list[str]]] = [
    (
        "project = OPS AND summary ~ 100%",
        [
            P + "The character '%' is a reserved JQL character. You must enclose it in a string "
            "or use the escape '\\u0025' instead. (line 1, character 32)"
        ],
    ),
    (
        "reporter=a/user/with/slash",
        [
            P + "The character '/' is a reserved JQL character. You must enclose it in a string "
            "or use the escape '\\u002f' instead. (line 1, character 11)"
        ],
    ),
    ("invalid query", [P + f"Expecting operator but got 'query'. {OPS} (line 1, character 9)"]),
    ("project foo", [P + f"Expecting operator but got 'foo'. {OPS} (line 1, character 9)"]),
    ("project", [P + f"Expecting operator before the end of the query. {OPS}"]),
    (
        "project = DO",
        [
            P + "'DO' is a reserved JQL word. You must surround it in quotation marks to use it "
            "in a query. (line 1, character 11)"
        ],
    ),
    (
        "summary ~ 'test",
        [P + "The quoted string 'test' has not been completed. (line 1, character 11)"],
    ),
    ('labels = "', [P + "The quoted string has not been completed. (line 1, character 10)"]),
    (
        "labels = a\\qb",
        [
            P + "'\\q' is an illegal JQL escape sequence. The valid escape sequences are \\', "
            "\\\", \\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX. (line 1, character 11)"
        ],
    ),
    (
        'labels = "a\tb"',
        [
            P + "The character 'U+0009' on line 1 at position 12 must be escaped. Use the escape "
            "'\\u0009' instead. (line 1, character 12)"
        ],
    ),
    ("project = OPS AND", [P + "Expecting a field name at the end of the query."]),
    ("project =", [P + "Expecting either a value, list or function before the end of the query."]),
    (
        "project = OPS AND status = = Done",
        [
            P + "Expecting either a value, list or function but got '='. You must surround '=' "
            "in quotation marks to use it as a value. (line 1, character 28)"
        ],
    ),
    (
        "project = OPS status = Done",
        [P + "Expecting either 'OR' or 'AND' but got 'status'. (line 1, character 15)"],
    ),
    ("(project = OPS", [P + "Expecting ')' before the end of the query."]),
    ("labels not is EMPTY", [P + "Expecting 'IN' but got 'is'. (line 1, character 12)"]),
    (
        "project = OPS ORDER created",
        [P + "Expecting 'by' but got 'created'. (line 1, character 21)"],
    ),
    (
        "project = OPS ORDER BY created up",
        [P + "Expecting either 'ASC' or 'DESC' but got 'up'. (line 1, character 32)"],
    ),
    (
        "cf[abc] = 1",
        [
            P
            + "Expecting a custom field id (a positive number) but got 'abc'. (line 1, character 4)"
        ],
    ),
    (
        "[10010] = 1",
        [P + "Expecting a field name but got '['. Did you mean 'cf['? (line 1, character 1)"],
    ),
    ("foo = bar", ["Field 'foo' does not exist or you do not have permission to view it."]),
    (
        "cf[99999] = x",
        ["Field 'cf[99999]' does not exist or you do not have permission to view it."],
    ),
    (
        "foo = 1 AND bar = 2",
        [
            "Field 'foo' does not exist or you do not have permission to view it.",
            "Field 'bar' does not exist or you do not have permission to view it.",
        ],
    ),
    ("summary = test", ["The operator '=' is not supported by the 'summary' field."]),
    ("project ~ OPS", ["The operator '~' is not supported by the 'project' field."]),
    ("text !~ x", ["The operator '!~' is not supported by the 'text' field."]),
    (
        "summary in test",
        ["Operator 'in' does not support the non-list value '\"test\"' for field 'summary'."],
    ),
    ("summary ~ ''", ["The field 'summary' does not support searching for an empty string."]),
    (
        "created > '20/12/10'",
        [
            "Date value '20/12/10' for field 'created' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
            "format e.g. '-5d', '4w 2d'."
        ],
    ),
    ("created > now(1)", ["Function 'now' expected '0' arguments but received '1'."]),
    ("assignee = bogus()", ["Unable to find JQL function 'bogus()'."]),
    (
        "created > startOfDay(yesterday)",
        [
            "Duration for function 'startOfDay' should have the format (+/-)n(yMwdm), "
            "e.g -1M for 1 month earlier."
        ],
    ),
    ("project = OPS ORDER BY description", ["Field 'description' does not support sorting."]),
    ("project = OPS ORDER BY bogus", ["Not able to sort using field 'bogus'."]),
]


@pytest.mark.parametrize(("jql", "messages"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_query_is_refused_with_jiras_exact_messages(jql: str, messages: list[str]) -> None:
    with pytest.raises(JqlError) as refused:
        parse_jql(jql, field_aliases=ALIASES, known_fields=KNOWN, now=NOW)
    assert refused.value.messages == messages
    assert refused.value.body() == {"errorMessages": messages, "errors": {}}


def test_unknown_project_value_is_refused_when_values_are_known() -> None:
    with pytest.raises(JqlError) as refused:
        parse_jql("project in (OPS, NOPE)", known_values={"project": ["OPS", "SEC"]})
    assert refused.value.messages == ["The value 'NOPE' does not exist for the field 'project'."]
    assert parse_jql("project = ops", known_values={"project": ["OPS"]}).is_bounded


@pytest.mark.parametrize(
    ("jql", "bounded", "order_by"),
    [
        ("", False, []),
        ("   ", False, []),
        ("ORDER BY created DESC", False, [("created", True)]),
        ("project = OPS", True, []),
        (
            "type = Bug order by Resolved, issuekey desc",
            True,
            [("resolutiondate", False), ("key", True)],
        ),
        ('project = OPS ORDER BY "Escalation ID"', True, [("customfield_10010", False)]),
    ],
)
def test_boundedness_and_canonical_order_by(
    jql: str, bounded: bool, order_by: list[tuple[str, bool]]
) -> None:
    query = parse_jql(jql, field_aliases=ALIASES, known_fields=KNOWN)
    assert query.is_bounded is bounded
    assert query.order_by == order_by
    assert UNBOUNDED_MESSAGE.startswith("Unbounded JQL queries are not allowed here.")


def test_without_known_fields_every_custom_field_is_accepted() -> None:
    assert parse_jql("cf[12345] = x").where is not None
    assert parse_jql("customfield_12345 = x").where is not None


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"a\\"b"', 'a"b'),
        ("'it\\'s'", "it's"),
        ("'say \"hi\"'", 'say "hi"'),
        ('"back\\\\slash"', "back\\slash"),
        ('"line\\nbreak"', "line\nbreak"),
        ('"\\u0025 off"', "% off"),
        ("a\\ b", "a b"),
        ('"and"', "and"),
        ("tb-managed", "tb-managed"),
        ("ünïcödé", "ünïcödé"),
    ],
)
def test_literals_decode_like_jira(literal: str, value: str) -> None:
    where = parse_jql(f"labels = {literal}").where
    assert isinstance(where, Terminal)
    assert where.operand == Literal(value)


@given(st.text())
def test_any_string_quoted_round_trips_as_exactly_one_literal(value: str) -> None:
    where = parse_jql(f"labels = {quote_jql(value)}").where
    assert isinstance(where, Terminal)
    assert where.operand == Literal(value)
    assert parse_jql(f"labels in ({quote_jql(value)}, {quote_jql(value)})").is_bounded
