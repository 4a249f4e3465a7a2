"""Cloud's bulk reads: `POST /issue/bulkfetch` (≤ 100 ids or keys; issues that do not exist, or
the caller cannot see, are left out without an error) and `POST /changelog/bulkfetch` (≤ 1,000
issues, the histories paged by `maxResults` with a `nextPageToken`). Shapes: the v3 OpenAPI
spec (BulkFetchIssueRequestBean / BulkIssueResults, BulkChangelogRequestBean /
BulkChangelogResponseBean)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jira_emulator.errors import bad_request
from jira_emulator.http import Host, JiraJSON, json_body, renderer, rest_routes
from jira_emulator.model import Issue
from jira_emulator.search import offset_of, page_token

MAX_ISSUES = 100
MAX_CHANGELOG_ISSUES = 1000
MAX_CHANGELOG_FIELDS = 10
MAX_CHANGELOG_PAGE = 10000


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(messages=["Request body must be a JSON object."])
    return body


def _refs(body: dict[str, Any], limit: int) -> list[str]:
    refs = body.get("issueIdsOrKeys")
    if not isinstance(refs, list) or not refs:
        raise bad_request(messages=["issueIdsOrKeys must contain at least one issue id or key."])
    if len(refs) > limit:
        raise bad_request(messages=[f"You can request at most {limit} issues at once."])
    return [str(r) for r in refs]


def _strings(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    if not isinstance(value, list):
        raise bad_request(errors={name: f"{name} must be a list of strings."})
    return [str(v) for v in value]


def _found(host: Host, refs: list[str]) -> list[Issue]:
    """The issues among `refs`, once each, in request order; missing ones left out."""
    keys = [ref.upper() for ref in refs if not ref.isdigit()]
    by_key = {i.key: i for i in host.state.issues.values() if i.key in keys} if keys else {}
    seen: set[int] = set()
    found = []
    for ref in refs:
        issue = host.state.issues.get(int(ref)) if ref.isdigit() else by_key.get(ref.upper())
        if issue is not None and issue.id not in seen:
            seen.add(issue.id)
            found.append(issue)
    return found


def bulk_routes(host: Host, apis: list[str]) -> list[Route]:
    async def issue_bulkfetch(request: Request, api: str) -> Response:
        body = _object(await json_body(request))
        issues = _found(host, _refs(body, MAX_ISSUES))
        r = renderer(host, api)
        fields = _strings(body, "fields") or ["*navigable"]
        expand = _strings(body, "expand") or []
        properties = _strings(body, "properties") or []
        if set(fields) <= {"id", "key"} and not expand and not properties:
            rendered = [r.issue_ref(i) | {"fields": {}} for i in issues]  # existence checks
        else:
            rendered = [
                r.issue(i, fields=fields, expand=expand, properties=properties) for i in issues
            ]
        return JiraJSON({"expand": "schema,names", "issues": rendered, "issueErrors": []})

    async def changelog_bulkfetch(request: Request, api: str) -> Response:
        body = _object(await json_body(request))
        issues = _found(host, _refs(body, MAX_CHANGELOG_ISSUES))
        field_ids = _strings(body, "fieldIds") or []
        if len(field_ids) > MAX_CHANGELOG_FIELDS:
            raise bad_request(messages=[f"fieldIds accepts at most {MAX_CHANGELOG_FIELDS} ids."])
        size = body.get("maxResults", 1000)
        if not isinstance(size, int) or not 1 <= size <= MAX_CHANGELOG_PAGE:
            raise bad_request(errors={"maxResults": f"must be 1 to {MAX_CHANGELOG_PAGE}."})
        start = offset_of(body.get("nextPageToken"))
        r = renderer(host, api)
        entries = [
            (issue, group)
            for issue in issues
            for group in issue.changelog
            if not field_ids or any(item.field_id in field_ids for item in group.items)
        ]
        page = entries[start : start + size]
        grouped: dict[int, dict[str, Any]] = {}
        for issue, group in page:
            bucket = grouped.setdefault(issue.id, {"issueId": str(issue.id), "changeHistories": []})
            bucket["changeHistories"].append(r.history(group))
        result: dict[str, Any] = {"issueChangeLogs": list(grouped.values())}
        if start + size < len(entries):
            result["nextPageToken"] = page_token(start + size)
        return JiraJSON(result)

    if host.state.flavor != "cloud":
        return []  # Data Center has neither: it searches with expand=changelog
    table: list[Any] = [
        ("POST", "/issue/bulkfetch", issue_bulkfetch),
        ("POST", "/changelog/bulkfetch", changelog_bulkfetch),
    ]
    return rest_routes(host, table, apis)
