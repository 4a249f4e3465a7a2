"""ADF validation against Atlassian's schema, and the exact 400 body real Jira Cloud sends."""

from __future__ import annotations

from typing import Any

import pytest

from jira_emulator.adf import ADF_ERROR_MESSAGE, adf_error, is_adf_document, validate_adf


def _doc(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


def _para(*inline: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(inline)}


VALID: list[tuple[str, dict[str, Any]]] = [
    ("empty document", _doc()),
    ("one paragraph", _doc(_para({"type": "text", "text": "hello"}))),
    (
        "heading, marks, list, code block, link",
        _doc(
            {
                "type": "heading",
                "attrs": {"level": 2},
                "content": [{"type": "text", "text": "Title"}],
            },
            _para(
                {"type": "text", "text": "bold", "marks": [{"type": "strong"}]},
                {
                    "type": "text",
                    "text": "link",
                    "marks": [{"type": "link", "attrs": {"href": "https://example.com"}}],
                },
            ),
            {
                "type": "bulletList",
                "content": [
                    {"type": "listItem", "content": [_para({"type": "text", "text": "item"})]}
                ],
            },
            {
                "type": "codeBlock",
                "attrs": {"language": "python"},
                "content": [{"type": "text", "text": "print(1)"}],
            },
        ),
    ),
]


@pytest.mark.parametrize(("name", "document"), VALID, ids=[v[0] for v in VALID])
def test_valid_documents_have_no_problems(name: str, document: dict[str, Any]) -> None:
    assert validate_adf(document) == []
    assert is_adf_document(document)


INVALID: list[tuple[str, object, str]] = [
    ("plain string", "just text", "$: Operation value must be an Atlassian Document"),
    ("list", [1, 2], "$: Operation value must be an Atlassian Document"),
    ("wrong version", {"type": "doc", "version": 2, "content": []}, "$.version"),
    ("missing content", {"type": "doc", "version": 1}, "'content' is a required property"),
    ("not a doc", {"type": "paragraph", "version": 1, "content": []}, "$.type"),
    ("unknown node", _doc({"type": "bogus"}), "$.content[0]: 'bogus' is not a node or mark"),
    (
        "text node without text",
        _doc(_para({"type": "text"})),
        "$.content[0].content[0]: 'text' is a required property",
    ),
    (
        "heading level 7",
        _doc({"type": "heading", "attrs": {"level": 7}}),
        "$.content[0].attrs.level: 7 is greater than the maximum of 6",
    ),
    (
        "unknown mark",
        _doc(_para({"type": "text", "text": "x", "marks": [{"type": "glitter"}]})),
        "$.content[0].content[0].marks[0]: 'glitter' is not a node or mark allowed here",
    ),
]


@pytest.mark.parametrize(("name", "value", "expected"), INVALID, ids=[v[0] for v in INVALID])
def test_invalid_values_name_the_json_path(name: str, value: object, expected: str) -> None:
    problems = validate_adf(value)
    assert problems, f"{name} must be refused"
    assert not is_adf_document(value)
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith("$") for problem in problems)


def test_adf_error_is_the_body_real_jira_cloud_sends() -> None:
    # Observed from Jira Cloud (e.g. lesstif/php-jira-rest-client#280, atlassian-mcp-server#101).
    assert adf_error("description") == {
        "errorMessages": [],
        "errors": {
            "description": "Operation value must be an Atlassian Document "
            "(see the Atlassian Document Format)"
        },
    }
    assert adf_error("customfield_10035")["errors"] == {"customfield_10035": ADF_ERROR_MESSAGE}
