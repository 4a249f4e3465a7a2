"""Real Jira answers (DefectDojo's recorded v2 traffic against Jira Cloud) read by our parsers."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import yaml

from support.realworld import REALWORLD
from ticketbridge.providers.jira.bodies import comment_from, issue_from
from ticketbridge.providers.jira.dialect import dialect_for
from ticketbridge.providers.jira.fields import field_def, status_from

CASSETTES = sorted((REALWORLD / "cassettes").glob("*.yaml"))


@functools.cache
def interactions() -> tuple[tuple[str, str, int, Any], ...]:
    return tuple(_read())


def _read() -> Iterator[tuple[str, str, int, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for cassette in CASSETTES:
        for it in yaml.load(cassette.read_text(), Loader=loader)["interactions"]:
            body = it["response"]["body"].get("string", "")
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            if not body or not body.lstrip().startswith(("{", "[")):
                continue
            yield (
                it["request"]["method"],
                it["request"]["uri"],
                int(it["response"]["status"]["code"]),
                json.loads(body),
            )


def _matching(method: str, fragment: str, status: int) -> list[Any]:
    return [
        body
        for m, uri, code, body in interactions()
        if m == method and fragment in uri.split("?")[0] and code == status
    ]


def test_cassettes_are_there() -> None:
    assert CASSETTES


def test_every_recorded_issue_parses() -> None:
    dc = dialect_for("datacenter")
    issues = [
        b for b in _matching("GET", "/rest/api/2/issue/", 200) if isinstance(b, dict) and "key" in b
    ]
    assert issues
    for body in issues:
        issue = issue_from(body, dc, "https://defectdojo.atlassian.net")
        assert issue.key == body["key"]
        assert issue.status.category in ("new", "indeterminate", "done")
        assert issue.created <= issue.updated


def test_every_recorded_comment_parses() -> None:
    comments = _matching("POST", "/comment", 201)
    assert comments
    for body in comments:
        comment = comment_from(body, dialect_for("datacenter"))
        assert comment.id == str(body["id"])
        assert comment.body_text == body["body"]


def test_recorded_createmeta_fields_parse() -> None:
    metas = _matching("GET", "/issue/createmeta", 200)
    assert metas
    for meta in metas:
        for project in meta.get("projects", []):
            for issue_type in project.get("issuetypes", []):
                for key, raw in (issue_type.get("fields") or {}).items():
                    fdef = field_def({"id": key, **raw})
                    assert fdef.id == key


def test_recorded_statuses_map_by_category() -> None:
    for body in _matching("GET", "/rest/api/2/issue/", 200):
        if isinstance(body, dict) and "fields" in body:
            raw = body["fields"]["status"]
            assert status_from(raw).category == raw["statusCategory"]["key"]
