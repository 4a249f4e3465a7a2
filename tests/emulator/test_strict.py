"""Strict mode: requests the Jira Cloud v3 spec forbids are refused, naming the schema path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from jira_emulator.app import Emulator
from jira_emulator.strict import StrictValidator

CLOUD_AUTH = ("admin@example.com", "emulator-token")
VALID_CREATE = {
    "fields": {
        "project": {"key": "OPS"},
        "issuetype": {"name": "Task"},
        "summary": "Disk full",
        "labels": ["tb-managed"],
    }
}


@pytest.fixture(scope="module")
def validator() -> StrictValidator:
    return StrictValidator()


REQUESTS: list[tuple[str, str, dict[str, Any], object, list[str]]] = [
    ("POST", "/rest/api/3/issue", {}, VALID_CREATE, []),
    ("POST", "/rest/api/3/issue", {"updateHistory": "true"}, VALID_CREATE, []),
    (
        "POST",
        "/rest/api/3/issue",
        {},
        {"fields": "Disk full"},
        [
            "POST /rest/api/3/issue: body.fields: 'Disk full' is not of type 'object' "
            "(schema #/components/schemas/IssueUpdateDetails/properties/fields/type)"
        ],
    ),
    (
        "POST",
        "/rest/api/3/issue",
        {"updateHistory": "yes"},
        {"fields": {}, "update": {"labels": {"add": "x"}}},
        [
            "POST /rest/api/3/issue: query parameter 'updateHistory' must be boolean (got 'yes')",
            "POST /rest/api/3/issue: body.update.labels: {'add': 'x'} is not of type 'array' "
            "(schema #/components/schemas/IssueUpdateDetails/properties/update/"
            "additionalProperties/type)",
        ],
    ),
    (
        "POST",
        "/rest/api/3/issue/OPS-1/transitions",
        {},
        {"transition": {"id": 31}},
        [
            "POST /rest/api/3/issue/OPS-1/transitions: body.transition.id: 31 is not of type "
            "'string' (schema #/components/schemas/IssueTransition/properties/id/type)"
        ],
    ),
    (
        "POST",
        "/rest/api/3/issue/bulk",
        {},
        {"issueUpdates": [VALID_CREATE, {"fields": []}]},
        [
            "POST /rest/api/3/issue/bulk: body.issueUpdates[1].fields: [] is not of type "
            "'object' (schema #/components/schemas/IssueUpdateDetails/properties/fields/type)"
        ],
    ),
    ("GET", "/rest/api/3/search/jql", {"jql": "x = 1", "fields": "summary,status"}, None, []),
    (
        "GET",
        "/rest/api/3/search/jql",
        {"jql": "project = OPS", "maxResults": "fifty", "startAt": "0"},
        None,
        [
            "GET /rest/api/3/search/jql: query parameter 'startAt' is not defined for this "
            "operation",
            "GET /rest/api/3/search/jql: query parameter 'maxResults' must be integer "
            "(got 'fifty')",
        ],
    ),
    (
        "POST",
        "/rest/api/3/search/jql",
        {},
        {"jql": "project = OPS", "maxResults": "50"},
        [
            "POST /rest/api/3/search/jql: body.maxResults: '50' is not of type 'integer' "
            "(schema #/components/schemas/SearchAndReconcileRequestBean/properties/maxResults/"
            "type)"
        ],
    ),
    ("GET", "/rest/api/3/issue/OPS-1", {"expand": "changelog", "fields": ["summary"]}, None, []),
    ("GET", "/rest/api/3/serverinfo-typo", {}, None, [
        "GET /rest/api/3/serverinfo-typo: unknown path (not in the Jira Cloud REST API v3 spec)"
    ]),
    ("DELETE", "/rest/api/3/myself", {}, None, [
        "DELETE /rest/api/3/myself: method not allowed on /rest/api/3/myself (the spec has GET)"
    ]),
    ("POST", "/rest/api/2/issue", {}, {"fields": "v2 is not in this spec"}, []),
    ("GET", "/_emulator/health", {"anything": "goes"}, None, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "problems"),
    REQUESTS,
    ids=[f"{r[0]} {r[1]} {i}" for i, r in enumerate(REQUESTS)],
)
def test_requests_are_checked_against_the_spec(
    validator: StrictValidator,
    method: str,
    path: str,
    query: dict[str, Any],
    body: object,
    problems: list[str],
) -> None:
    assert validator.validate_request(method, path, query, body) == problems


def test_most_specific_template_wins(validator: StrictValidator) -> None:
    found = validator.operation("POST", "/rest/api/3/issue/bulk")
    assert found is not None
    assert found[0] == "/rest/api/3/issue/bulk"
    found = validator.operation("GET", "/rest/api/3/issue/OPS-7/comment/10001")
    assert found is not None
    assert found[0] == "/rest/api/3/issue/{issueIdOrKey}/comment/{id}"
    assert found[2] == {"issueIdOrKey": "OPS-7", "id": "10001"}


def test_nullable_read_only_and_write_only(tmp_path: Path) -> None:
    thing = {
        "type": "object",
        "required": ["id", "name", "secret"],
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "name": {"type": "string", "nullable": True},
            "secret": {"type": "string", "writeOnly": True},
            "kind": {"type": "string", "enum": ["a", "b"], "nullable": True},
        },
    }
    json_body = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
    }
    spec = {
        "openapi": "3.0.1",
        "paths": {
            "/rest/api/3/thing": {
                "post": {
                    "requestBody": {"required": True, **json_body},
                    "responses": {"201": json_body},
                }
            }
        },
        "components": {"schemas": {"Thing": thing}},
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    strict = StrictValidator(path)
    assert (
        strict.validate_request(
            "POST", "/rest/api/3/thing", {}, {"name": None, "secret": "s", "kind": None}
        )
        == []
    )
    assert strict.validate_request("POST", "/rest/api/3/thing", {}, None) == [
        "POST /rest/api/3/thing: body is required"
    ]
    assert strict.validate_request("POST", "/rest/api/3/thing", {}, {"name": "n"}) == [
        "POST /rest/api/3/thing: body: 'secret' is a required property "
        "(schema #/components/schemas/Thing/required)"
    ]
    assert (
        strict.validate_response("POST", "/rest/api/3/thing", 201, {"id": "1", "name": None}) == []
    )
    wrong = {"name": "n", "kind": "c"}
    assert strict.validate_response("POST", "/rest/api/3/thing", 201, wrong) == [
        "POST /rest/api/3/thing → 201: response: 'id' is a required property "
        "(schema #/components/schemas/Thing/required)",
        "POST /rest/api/3/thing → 201: response.kind: 'c' is not one of ['a', 'b'] "
        "(schema #/components/schemas/Thing/properties/kind/enum)",
    ]  # fmt: skip


async def test_strict_emulator_refuses_an_invalid_create_and_accepts_a_valid_one() -> None:
    emu = Emulator(flavor="cloud", strict=True)
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url="http://jira.test", auth=CLOUD_AUTH
    ) as client:
        refused = await client.post("/rest/api/3/issue", json={"fields": "Disk full"})
        not_json = await client.post(
            "/rest/api/3/issue", content=b"{nope", headers={"content-type": "application/json"}
        )
        created = await client.post("/rest/api/3/issue", json=VALID_CREATE)
        v2 = await client.get("/rest/api/2/myself", params={"unknownParam": "x"})
    assert refused.status_code == 400
    assert refused.json() == {
        "errorMessages": [
            "strict mode: POST /rest/api/3/issue: body.fields: 'Disk full' is not of type "
            "'object' (schema #/components/schemas/IssueUpdateDetails/properties/fields/type)"
        ],
        "errors": {},
    }
    assert not_json.status_code == 400
    assert not_json.json()["errorMessages"][0].startswith(
        "strict mode: POST /rest/api/3/issue: body is not valid JSON"
    )
    assert created.status_code == 201
    assert [issue.fields["summary"] for issue in emu.state.issues.values()] == ["Disk full"]
    assert v2.status_code == 200


async def test_strict_mode_switches_at_runtime() -> None:
    emu = Emulator(flavor="cloud")
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url="http://jira.test", auth=CLOUD_AUTH
    ) as client:
        lenient = await client.get("/rest/api/3/myself", params={"bogus": "1"})
        emu.strict = True
        strict = await client.get("/rest/api/3/myself", params={"bogus": "1"})
    assert lenient.status_code == 200
    assert strict.status_code == 400
    assert strict.json()["errorMessages"] == [
        "strict mode: GET /rest/api/3/myself: query parameter 'bogus' is not defined for this "
        "operation"
    ]
