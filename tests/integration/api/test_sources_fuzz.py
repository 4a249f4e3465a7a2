"""HTTP-level fuzz of POST /v1/sources/{source} (issue 6): for every source, malformed payloads
(hypothesis: random JSON, wrong types at each field of a real fixture, truncated bodies,
invalid UTF-8, absurd nesting) are answered 4xx with problems naming a path, never 5xx, and
what was accepted before the barrage is still there, unchanged.

The oracle is the source's own pure parser: where it refuses a payload the API must answer
4xx; where it accepts one (a mutation can stay valid) the API may accept it too, but never
with a 5xx. One app (SQLite in a temp dir) serves all examples of a test: the test owns an
event loop (`asyncio.Runner`) and runs an inner `@given` function on it, so no
function-scoped fixture is shared across examples. Both SQLite and PostgreSQL: PostgreSQL
refuses what SQLite keeps (NUL characters, values longer than a column), and those must be
422s naming the field too, not database errors.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import Api, api_on_loop
from hypothesis import given, settings
from hypothesis import strategies as st
from source_fixtures import FIXTURES, parse_any

from support.postgres import database_url, postgres_server
from ticketbridge.config.schema import Config
from ticketbridge.errors import InputError
from ticketbridge.sources import SOURCES

__all__ = ["database_url", "postgres_server"]  # the fixtures, imported for this module

FUZZ = settings(max_examples=40, deadline=None)
TOKEN = "fuzz-source-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
# The valid delivery each source gets before the barrage (and must keep afterwards).
VALID = {
    "alertmanager": "docs-example",
    "compliance": "aws-iam-mfa-fail",
    "generic": "single",
    "github": "push",
    "keeptrusts": "escalation-created",
    "security": "aegis-powershell",
    "truthvouch": "hallucination-detected",
}
ALL_SOURCES = sorted(SOURCES)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.text(min_size=60, max_size=300),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _fixture(source: str) -> bytes:
    raw = (FIXTURES / source / f"{VALID[source]}.json").read_bytes()
    if source == "generic":  # its token speaks for `generic` only; single.json names another
        return json.dumps({**json.loads(raw), "source": "generic"}).encode()
    return raw


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path inside a JSON value (dict keys and list indexes)."""
    found: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _string_paths(document: Any) -> list[tuple[str | int, ...]]:
    def value_at(path: tuple[str | int, ...]) -> Any:
        value = document
        for part in path:
            value = value[part]
        return value

    return [path for path in _paths(document) if isinstance(value_at(path), str)]


def _replace(document: Any, path: tuple[str | int, ...], new: Any) -> bytes:
    copy = json.loads(json.dumps(document))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return json.dumps(copy).encode()


def _nested(depth: int, opener: str) -> str:
    if opener == "[":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def malformed(source: str) -> st.SearchStrategy[bytes]:
    """Bodies of every kind the issue names, built around the source's valid fixture."""
    raw = _fixture(source)
    document = json.loads(raw)
    depths = st.sampled_from([64, 500, 900, 990, 1100, 5000, 100_000])
    openers = st.sampled_from(["[", "{"])
    return st.one_of(
        json_values.map(lambda value: json.dumps(value).encode()),
        st.builds(_replace, st.just(document), st.sampled_from(_paths(document)), json_values),
        st.builds(  # text the database may not keep: NUL characters, long values
            _replace,
            st.just(document),
            st.sampled_from(_string_paths(document)),
            st.text(max_size=300) | st.sampled_from(["\x00", "a\x00b", "k" * 300]),
        ),
        st.integers(min_value=0, max_value=len(raw) - 1).map(lambda cut: raw[:cut]),
        st.binary(max_size=64),
        st.integers(min_value=0, max_value=len(raw)).map(
            lambda at: raw[:at] + b"\xff\xc3" + raw[at:]
        ),
        st.builds(lambda d, o: _nested(d, o).encode(), depths, openers),
        st.builds(  # deep nesting where the source keeps unknown keys (attributes)
            lambda d, o: raw.rstrip()[:-1] + f', "deep": {_nested(d, o)}}}'.encode(),
            depths,
            openers,
        ),
    )


def parser_refuses(source: str, body: bytes) -> bool:
    try:
        parse_any(source, body)
    except InputError:
        return True
    return False


class Target:
    """One app with every source configured with a token, on a loop this test owns."""

    def __init__(self, runner: asyncio.Runner, api: Api) -> None:
        self.runner = runner
        self.api = api

    def post(self, source: str, body: bytes) -> httpx.Response:
        return self.runner.run(
            self.api.client.post(f"/v1/sources/{source}", content=body, headers=AUTH)
        )

    def stored(self, source: str) -> list[dict[str, Any]]:
        """What the read API shows: every alert, or for github the pushes kept."""
        path = "/v1/audit/pushes?limit=500" if source == "github" else "/v1/alerts?limit=500"
        response = self.runner.run(self.api.client.get(path, headers=self.api.auth("read")))
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        if source != "github":  # state follows the ticket, which later alerts may move
            items = [{k: v for k, v in item.items() if k != "state"} for item in items]
        return items


@contextmanager
def target(tmp_path: Path, database_url: str) -> Iterator[Target]:
    config = Config.model_validate({"sources": {name: {"token": TOKEN} for name in SOURCES}})
    with asyncio.Runner() as runner, api_on_loop(runner, tmp_path, config, database_url) as api:
        yield Target(runner, api)


def test_every_source_has_a_valid_fixture_here() -> None:
    assert set(VALID) == set(SOURCES)


def _assert_problem_answer(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    problems = response.json()["problems"]
    assert problems, response.text[:500]
    assert all(isinstance(p["path"], str) and p["path"] for p in problems), problems


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_malformed_payloads_get_4xx_with_a_path_and_lose_nothing(
    source: str, tmp_path: Path, database_url: str
) -> None:
    with target(tmp_path, database_url) as app:
        accepted = app.post(source, _fixture(source))
        assert accepted.status_code == 202, accepted.text
        before = app.stored(source)
        assert before, "the valid fixture must have stored something"

        @FUZZ
        @given(body=malformed(source))
        def barrage(body: bytes) -> None:
            response = app.post(source, body)
            assert response.status_code < 500, (response.status_code, response.text[:500])
            if parser_refuses(source, body) or response.status_code >= 400:
                _assert_problem_answer(response)

        barrage()
        after = {json.dumps(item, sort_keys=True) for item in app.stored(source)}
        assert {json.dumps(item, sort_keys=True) for item in before} <= after


# A wrong value at one known field of each source's fixture: 422 naming exactly that field
# (the alert's field where the source maps it: security's `title`, keeptrusts' `id`).
WRONG_FIELD = [
    ("generic", ("id",), "alert\x00123", "id"),
    ("generic", ("kind",), "k" * 65, "kind"),
    ("generic", ("source",), "s" * 65, "source"),
    ("truthvouch", ("id",), "t" * 300, "id"),
    ("security", ("title",), "PowerShell \x00", "title"),
    ("keeptrusts", ("escalation_id",), "esc\x00", "id"),
    ("alertmanager", ("alerts", 0, "fingerprint"), "f" * 300, "alerts[0].fingerprint"),
    ("github", ("ref",), "refs/heads/\x00", "ref"),
    ("alertmanager", ("alerts", 0, "startsAt"), [1], "alerts[0].startsAt"),
    ("compliance", ("result",), {"x": 1}, "result"),
    ("generic", ("severity",), [], "severity"),
    ("github", ("commits", 1, "id"), [], "commits[1].id"),
    ("keeptrusts", ("timestamp",), {"at": 1}, "timestamp"),
    ("security", ("priority",), [], "priority"),
    ("truthvouch", ("confidence",), {"c": 1}, "confidence"),
]


@pytest.mark.parametrize(
    ("source", "where", "value", "path"), WRONG_FIELD, ids=[w[0] for w in WRONG_FIELD]
)
def test_a_wrong_type_is_422_naming_the_field(
    source: str,
    where: tuple[str | int, ...],
    value: Any,
    path: str,
    tmp_path: Path,
    database_url: str,
) -> None:
    with target(tmp_path, database_url) as app:
        body = _replace(json.loads(_fixture(source)), where, value)
        response = app.post(source, body)
        _assert_problem_answer(response)
        assert response.status_code == 422
        assert path in [p["path"] for p in response.json()["problems"]]
        assert app.stored(source) == []


@pytest.mark.parametrize("field", ["id", "title", "description", "kind"])
def test_post_alerts_refuses_nul_naming_the_field(
    field: str, tmp_path: Path, database_url: str
) -> None:
    """The same rule on POST /v1/alerts (PostgreSQL cannot keep U+0000 in text)."""
    alert = {"id": "a-1", "title": "t", "severity": "high", field: "with \x00 inside"}
    with target(tmp_path, database_url) as app:
        response = app.runner.run(
            app.api.client.post("/v1/alerts", json=alert, headers=app.api.auth("ingest"))
        )
        _assert_problem_answer(response)
        assert field in [p["path"] for p in response.json()["problems"]]
        assert app.stored("generic") == []
