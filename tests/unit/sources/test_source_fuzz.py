"""Hypothesis: whatever arrives, every source answers with values or an `InputError` whose
problems name a path — never another exception (which the API would turn into a 5xx)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AliasChoices, BaseModel
from source_fixtures import FIXTURES, parse_any

from ticketbridge.errors import InputError
from ticketbridge.sources import (
    SOURCES,
    alertmanager,
    compliance,
    generic,
    github,
    keeptrusts,
    security,
    truthvouch,
)
from ticketbridge.sources._parsing import join_path

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Per fixture (17 of them): fewer examples each, many fixtures together.
FUZZ_FIXTURE = settings(FUZZ, max_examples=25)
ALL_SOURCES = sorted(SOURCES)
FIXTURE_FILES = sorted((path.parent.name, path) for path in FIXTURES.glob("*/*.json"))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _run(source: str, payload: Any) -> None:
    try:
        parse_any(source, payload)
    except InputError as error:
        problems = error.problems
    else:
        return
    assert problems, "an InputError must say what is wrong"
    assert all(problem.path for problem in problems)


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path inside a JSON value (dict keys and list indexes), the value's own last."""
    found: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return [*found, prefix] if prefix else found


def _replace(document: Any, path: tuple[str | int, ...], new: Any) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return copy


@pytest.mark.parametrize("source", ALL_SOURCES)
@FUZZ
@given(value=json_values)
def test_random_json_values(source: str, value: Any) -> None:
    _run(source, value)
    _run(source, json.dumps(value).encode())


@pytest.mark.parametrize("source", ALL_SOURCES)
@FUZZ
@given(body=st.binary(max_size=200))
def test_random_bytes_including_non_utf8(source: str, body: bytes) -> None:
    _run(source, body)


@pytest.mark.parametrize(("source", "path"), FIXTURE_FILES, ids=[p.stem for _, p in FIXTURE_FILES])
@FUZZ_FIXTURE
@given(data=st.data())
def test_truncated_fixtures(source: str, path: Any, data: st.DataObject) -> None:
    body = path.read_bytes()
    cut = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    _run(source, body[:cut])


@pytest.mark.parametrize(("source", "path"), FIXTURE_FILES, ids=[p.stem for _, p in FIXTURE_FILES])
@FUZZ_FIXTURE
@given(data=st.data())
def test_wrong_types_at_every_known_field(source: str, path: Any, data: st.DataObject) -> None:
    document = json.loads(path.read_bytes())
    where = data.draw(st.sampled_from(_paths(document)))
    value = data.draw(json_values)
    mutated = _replace(document, where, value)
    _run(source, mutated)
    _run(source, json.dumps(mutated).encode())


def _declared_keys(model: type[BaseModel]) -> set[str]:
    """Every key the model reads: field names and their validation aliases."""
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            keys |= {choice for choice in alias.choices if isinstance(choice, str)}
        else:
            keys.add(name)
    return keys


# (fixture, the model of the object at `prefix` in it, prefix)
KNOWN_OBJECTS: list[tuple[str, str, type[BaseModel], tuple[str | int, ...]]] = [
    ("generic", "single", generic.GenericAlert, ()),
    ("truthvouch", "hallucination-detected", truthvouch.TruthVouchAlert, ()),
    ("truthvouch", "sync-alert", truthvouch.TruthVouchAlert, ()),
    ("keeptrusts", "escalation-created", keeptrusts.KeeptrustsEscalation, ()),
    ("keeptrusts", "escalation-envelope", keeptrusts.KeeptrustsEscalation, ("data",)),
    ("compliance", "aws-iam-mfa-fail", compliance.ComplianceResult, ()),
    ("security", "aegis-powershell", security.SecurityAlert, ()),
    ("alertmanager", "docs-example", alertmanager.AlertmanagerAlert, ("alerts", 0)),
    ("github", "push", github.GitHubPush, ()),
]


@pytest.mark.parametrize(
    ("source", "fixture", "model", "prefix"), KNOWN_OBJECTS, ids=[k[1] for k in KNOWN_OBJECTS]
)
@FUZZ_FIXTURE
@given(data=st.data())
def test_a_wrong_type_at_a_known_scalar_field_is_named(
    source: str,
    fixture: str,
    model: type[BaseModel],
    prefix: tuple[str | int, ...],
    data: st.DataObject,
) -> None:
    document = json.loads((FIXTURES / source / f"{fixture}.json").read_bytes())
    target: Any = document
    for part in prefix:
        target = target[part]
    scalars = sorted(
        key
        for key, value in target.items()
        if key in _declared_keys(model) and isinstance(value, str | int | float | bool)
    )
    key = data.draw(st.sampled_from(scalars))
    wrong = data.draw(st.lists(json_values, max_size=2) | st.dictionaries(st.text(), json_values))
    with pytest.raises(InputError) as caught:
        parse_any(source, _replace(document, (*prefix, key), wrong))
    assert join_path("", *prefix, key) in [p.path for p in caught.value.problems]
