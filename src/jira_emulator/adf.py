"""Atlassian Document Format checks for the Cloud (REST v3) flavour.

Every v3 rich-text field (description, comment body, textarea custom fields) must be an ADF
document. Documents are checked against Atlassian's own JSON schema (draft-04, vendored in
`specs/adf-schema-v1-full.json`), never against our idea of ADF. A value that is not a document
at all gets the body real Jira Cloud answers (see `adf_error`).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

#: What Jira Cloud says, per field, when a v3 rich-text field gets a plain string (or any value
#: that is not an ADF document): `{"errorMessages":[],"errors":{"description":"Operation value
#: must be an Atlassian Document (see the Atlassian Document Format)"}}` with status 400.
ADF_ERROR_MESSAGE = (
    "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
)


@cache
def _validator() -> Draft4Validator:
    """The compiled ADF validator; the 70 kB schema is read and checked once per process."""
    text = resources.files("jira_emulator.specs").joinpath("adf-schema-v1-full.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


@cache
def _fast_validator() -> jsonschema_rs.Draft4Validator:
    """A compiled Rust validator for the yes/no answer. Most documents are valid, and the
    pure-Python validator costs milliseconds per description, which made the emulator, not the
    client under test, the bottleneck of every Cloud benchmark. The Python one still explains
    what is wrong when a document is refused."""
    text = resources.files("jira_emulator.specs").joinpath("adf-schema-v1-full.json").read_text()
    return jsonschema_rs.Draft4Validator(json.loads(text))


def _branch_errors(error: ValidationError) -> dict[int, list[ValidationError]]:
    """The errors of each branch of an `anyOf`, by branch index."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    return branches


def _names_other_node_type(errors: list[ValidationError]) -> bool:
    """Whether a branch failed because it is the schema of another node or mark type."""
    return any(list(e.relative_path) == ["type"] and e.validator == "enum" for e in errors)


def _most_specific(error: ValidationError) -> ValidationError | str:
    # An `anyOf` over node types only says "not valid under any of the given schemas". The
    # branches whose `type` matches the node say what is really wrong with it; if no branch
    # matches, the node's type itself is unknown here.
    if error.validator != "anyOf" or not error.context:
        return error
    candidates = [
        errs for errs in _branch_errors(error).values() if not _names_other_node_type(errs)
    ]
    if not candidates:
        node = error.instance
        kind = node.get("type") if isinstance(node, dict) else node
        return f"{error.json_path}: {kind!r} is not a node or mark allowed here"
    deepest = max((e for errs in candidates for e in errs), key=lambda e: len(e.path))
    return _most_specific(deepest)


def _describe(error: ValidationError) -> str:
    precise = _most_specific(error)
    if isinstance(precise, str):
        return precise
    return f"{precise.json_path}: {precise.message}"


def validate_adf(value: object) -> list[str]:
    """Problems that make `value` an invalid ADF document; an empty list means valid.

    Each problem starts with the JSON path of the offending part, e.g.
    `$.content[0].content[0].type: 'txt' is not one of ['text']`.
    """
    if not isinstance(value, dict):
        return [f"$: {ADF_ERROR_MESSAGE}"]
    if _fast_validator().is_valid(value):
        return []
    errors = sorted(_validator().iter_errors(value), key=lambda e: list(map(str, e.path)))
    return [_describe(error) for error in errors]


def is_adf_document(value: object) -> bool:
    """Whether `value` is a valid ADF document (`validate_adf` finds no problem)."""
    return not validate_adf(value)


def adf_error(field: str) -> dict[str, Any]:
    """The 400 body Jira Cloud answers when `field` is given a value that is not ADF."""
    return {"errorMessages": [], "errors": {field: ADF_ERROR_MESSAGE}}
