"""Canonical JQL field names, their aliases, kinds and the operators Jira allows on each."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from enum import Enum


class FieldKind(Enum):
    TEXT = "text"  # searched with ~ / !~
    DATE = "date"
    KEY = "key"  # issue key (or id)
    USER = "user"  # list of identifiers: accountId, name, emailAddress, displayName
    CATEGORY = "category"  # status category: new | indeterminate | done
    VALUE = "value"  # names, keys, labels: equality (case-insensitive), lists mean "contains"
    ANY = "any"  # custom fields and entity properties: every operator


SYSTEM_FIELDS: dict[str, FieldKind] = {
    "project": FieldKind.VALUE,
    "key": FieldKind.KEY,
    "parent": FieldKind.KEY,
    "issuetype": FieldKind.VALUE,
    "status": FieldKind.VALUE,
    "statuscategory": FieldKind.CATEGORY,
    "priority": FieldKind.VALUE,
    "resolution": FieldKind.VALUE,
    "labels": FieldKind.VALUE,
    "component": FieldKind.VALUE,
    "fixversion": FieldKind.VALUE,
    "affectedversion": FieldKind.VALUE,
    "sprint": FieldKind.VALUE,
    "summary": FieldKind.TEXT,
    "description": FieldKind.TEXT,
    "environment": FieldKind.TEXT,
    "comment": FieldKind.TEXT,
    "text": FieldKind.TEXT,
    "assignee": FieldKind.USER,
    "reporter": FieldKind.USER,
    "creator": FieldKind.USER,
    "watcher": FieldKind.USER,
    "created": FieldKind.DATE,
    "updated": FieldKind.DATE,
    "resolutiondate": FieldKind.DATE,
    "duedate": FieldKind.DATE,
    "lastviewed": FieldKind.DATE,
}

#: Jira's alternative JQL names of system fields (lowercase).
ALIASES: dict[str, str] = {
    "issuekey": "key",
    "issue": "key",
    "id": "key",
    "type": "issuetype",
    "resolved": "resolutiondate",
    "due": "duedate",
    "createddate": "created",
    "updateddate": "updated",
    "affectedversion": "affectedversion",
}

_EQUALITY = frozenset(("=", "!=", "in", "not in"))
_EMPTINESS = frozenset(("is", "is not"))
_ORDERING = frozenset(("<", "<=", ">", ">="))
_OPERATORS: dict[FieldKind, frozenset[str]] = {
    FieldKind.TEXT: frozenset(("~", "!~")) | _EMPTINESS,
    FieldKind.DATE: _EQUALITY | _EMPTINESS | _ORDERING,
    FieldKind.KEY: _EQUALITY | _ORDERING,
    FieldKind.USER: _EQUALITY | _EMPTINESS,
    FieldKind.CATEGORY: _EQUALITY,
    FieldKind.VALUE: _EQUALITY | _EMPTINESS,
    FieldKind.ANY: _EQUALITY | _EMPTINESS | _ORDERING | frozenset(("~", "!~")),
}
_CUSTOM = re.compile(r"customfield_\d+")
_UNSORTABLE = frozenset(("description", "environment", "comment", "text"))


def kind_of(canonical: str) -> FieldKind:
    """The kind of a canonical field; custom fields and properties accept every operator."""
    return SYSTEM_FIELDS.get(canonical, FieldKind.ANY)


def operators_for(canonical: str) -> frozenset[str]:
    if canonical == "text":
        return frozenset(("~",))
    return _OPERATORS[kind_of(canonical)]


class FieldNames:
    """Resolves written field names and knows which exist.

    `field_aliases` maps display names of custom fields (any case) to canonical ids, e.g.
    `{"Escalation ID": "customfield_10010"}`. `known_fields`, when given, lists the custom
    fields that exist (canonical ids); without it every `customfield_N` / `cf[N]` is accepted.
    System fields, their aliases and entity properties always exist.
    """

    def __init__(
        self, field_aliases: Mapping[str, str], known_fields: Collection[str] | None
    ) -> None:
        self.aliases = {name.lower(): target.lower() for name, target in field_aliases.items()}
        self.known = None if known_fields is None else {f.lower() for f in known_fields}

    def canonical(self, written: str, quoted: bool = False) -> str:
        lower = written.lower()
        if lower in ALIASES:
            return ALIASES[lower]
        if lower in SYSTEM_FIELDS:
            return lower
        return self.aliases.get(lower, lower)

    def exists(self, canonical: str) -> bool:
        if canonical in SYSTEM_FIELDS or canonical.startswith("issue.property["):
            return True
        if canonical in self.aliases.values():
            return True
        if _CUSTOM.fullmatch(canonical):
            return self.known is None or canonical in self.known
        return self.known is not None and canonical in self.known

    @staticmethod
    def sortable(canonical: str) -> bool:
        return canonical not in _UNSORTABLE
