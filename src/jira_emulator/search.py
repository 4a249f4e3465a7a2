"""Search: Cloud's `/search/jql` (nextPageToken, isLast, reconcileIssues) under REST v2 and v3,
Data Center's `/rest/api/2/search` (startAt/total), and the 410 Cloud answers since August 2025 on
the endpoints CHANGE-2046 removed (`/search` GET and POST, `POST /search/id`, v2 and v3 alike).
The index lag lives in `IssueService.search_version`; JQL is emu-aux's `jira_emulator.jql`.

A search that reads many issues gives the event loop back every `YIELD_EVERY` of them: Jira
serves requests side by side, and a search of 100,000 issues (seconds here) holding up a create
sent before it would let a later request overtake that create (issue 20's chaos bench saw its
loop held up 9.7 s by one search, longer than ticketbridge's 5 s settle delay). What it reads is
the store as the search began; an issue changed meanwhile is read as it is when reached."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jira_emulator import jql
from jira_emulator.errors import JiraError, bad_request
from jira_emulator.http import (
    Host,
    JiraJSON,
    actor,
    int_param,
    json_body,
    query_list,
    renderer,
    rest_routes,
)
from jira_emulator.model import Issue, State, User
from jira_emulator.richtext import plain_text

REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql "
    "API. A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = jql.UNBOUNDED_MESSAGE
MAX_RECONCILE = 50


def _people(state: State, name: str | None) -> list[str]:
    user = state.users.get(name) if name else None
    if user is None:
        return []
    return [user.account_id, user.name, user.email, user.display_name]


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, out)
    else:
        out[prefix] = value


def search_doc(state: State, issue: Issue) -> dict[str, Any]:
    """The flat document emu-aux's JQL evaluates (lowercase keys, see `jql.JqlQuery`)."""
    f = issue.fields
    status = state.statuses[issue.status]
    comments = [plain_text(c.body) for c in issue.comments]
    description = plain_text(f.get("description"))
    prio = f.get("priority")
    doc: dict[str, Any] = {
        "project": issue.project,
        "key": issue.key,
        "id": str(issue.id),
        "issuetype": state.issue_types[f["issuetype"]].name,
        "status": status.name,
        "statuscategory": status.category,
        "priority": state.priorities[prio].name if prio else None,
        "labels": list(f.get("labels") or []),
        "summary": f.get("summary") or "",
        "description": description,
        "environment": plain_text(f.get("environment")),
        "comment": comments,
        "assignee": _people(state, f.get("assignee")),
        "reporter": _people(state, f.get("reporter")),
        "creator": _people(state, f.get("creator")),
        "created": issue.created,
        "updated": issue.updated,
        "resolutiondate": issue.resolution_date,
        "duedate": date.fromisoformat(f["duedate"]) if f.get("duedate") else None,
        "resolution": state.resolutions[issue.resolution].name if issue.resolution else None,
        "component": list(f.get("components") or []),
        "parent": f.get("parent"),
    }
    texts = [doc["summary"], description, doc["environment"], *comments]
    for field in state.visible_fields():
        if not field.custom:
            continue
        value = f.get(field.id)
        if field.rich:
            value = plain_text(value) if value is not None else None
        elif field.kind == "user":
            value = _people(state, value)
        elif field.kind == "date" and value:
            value = date.fromisoformat(value)
        if isinstance(value, str):
            texts.append(value)
        doc[field.id] = value
    doc["text"] = " ".join(t for t in texts if t)
    for key, value in issue.properties.items():
        _flatten(f"issue.property[{key.lower()}]", value, doc)
    return doc


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def compile_jql(
    state: State, text: str, now: datetime | None = None, user: User | None = None
) -> Any:
    custom = [f for f in state.visible_fields() if f.custom]
    me = _people(state, user.name) if user is not None else []
    if user is not None and now is not None:
        now = now.astimezone(_zone(user.time_zone))  # JQL dates are read in the user's zone
    try:
        return jql.parse_jql(
            text,
            field_aliases={f.name.lower(): f.id for f in custom},
            known_fields={f.id for f in custom},
            now=now,
            current_user=me,
        )
    except jql.JqlError as error:
        body: dict[str, Any] = {"errorMessages": list(error.messages), "errors": {}}
        warnings = getattr(error, "warnings", None)
        if warnings:
            body["warningMessages"] = list(warnings)
        raise JiraError(400, body=body) from None


def _ordered(query: Any, docs: list[tuple[Issue, dict[str, Any]]]) -> list[Issue]:
    """Newest first, then ORDER BY (emu-aux's sort is stable)."""
    by_id = {pair[0].id: pair[0] for pair in docs}
    newest_first = [pair[1] for pair in sorted(docs, key=lambda p: p[0].id, reverse=True)]
    return [by_id[int(doc["id"])] for doc in query.sort(newest_first)]


def _document(host: Host, version: Issue) -> dict[str, Any]:
    """`search_doc`, kept until the issue changes (a search reads every issue)."""
    cached = host.service.documents.get(id(version))
    if cached is not None and cached[0] is version and cached[1] == version.revision:
        return cached[2]
    doc = search_doc(host.state, version)
    host.service.documents[id(version)] = (version, version.revision, doc)
    return doc


YIELD_EVERY = 1000  # issues a search reads between the turns it gives other requests


async def run_query(host: Host, query: Any, reconcile: set[int]) -> list[Issue]:
    state = host.state
    labels = query.required("labels")
    candidates = state.issues.values() if labels is None else host.service.labelled(labels)
    matched = []
    for read, issue in enumerate(list(candidates), start=1):
        if read % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # the creates and lookups that came meanwhile go first
        version = host.service.search_version(issue, reconcile)
        if version is None:
            continue
        doc = _document(host, version)
        if query.matches(doc):
            matched.append((version, doc))
    return _ordered(query, matched)


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def offset_of(token: str | None) -> int:
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        kind, _, number = base64.urlsafe_b64decode(padded).decode().partition(":")
        if kind == "offset":
            return int(number)
    except ValueError:
        pass
    raise bad_request(messages=["The provided next page token is invalid or expired."])


def _ints(values: Any) -> set[int]:
    if values is None:
        return set()
    items = values if isinstance(values, list) else str(values).split(",")
    try:
        ids = {int(str(v).strip()) for v in items if str(v).strip()}
    except ValueError:
        raise bad_request(messages=["reconcileIssues must be a list of issue ids."]) from None
    if len(ids) > MAX_RECONCILE:
        raise bad_request(messages=[f"reconcileIssues accepts at most {MAX_RECONCILE} ids."])
    return ids


def search_routes(host: Host, apis: list[str]) -> list[Route]:
    async def search_jql(request: Request, api: str) -> Response:
        if request.method == "POST":
            body = await json_body(request) or {}
            if not isinstance(body, dict):
                raise bad_request(messages=["Request body must be a JSON object."])
            params: dict[str, Any] = body
        else:
            q = request.query_params
            params = {
                "jql": q.get("jql"),
                "nextPageToken": q.get("nextPageToken"),
                "maxResults": int_param(request, "maxResults", 50),
                "fields": query_list(request, "fields"),
                "expand": q.get("expand"),
                "properties": query_list(request, "properties"),
                "reconcileIssues": query_list(request, "reconcileIssues"),
            }
        text = str(params.get("jql") or "")
        query = host.compile_jql(text, actor(request))
        if not text.strip() or not query.is_bounded:
            raise bad_request(messages=[UNBOUNDED])
        fields = params.get("fields") or ["id"]
        fields = fields.split(",") if isinstance(fields, str) else list(fields)
        id_only = set(fields) <= {"id", "key"}
        size = max(0, min(int(params.get("maxResults") or 50), 5000 if id_only else 100))
        start = offset_of(params.get("nextPageToken"))
        found = await run_query(host, query, _ints(params.get("reconcileIssues")))
        page = found[start : start + size]
        r = renderer(host, api)
        expand = params.get("expand") or []
        expand = expand.split(",") if isinstance(expand, str) else list(expand)
        if fields == ["id"]:
            issues = [{"id": str(i.id)} for i in page]
        else:
            issues = [
                r.issue(i, fields=fields, expand=expand, properties=params.get("properties") or [])
                for i in page
            ]
        result: dict[str, Any] = {"issues": issues}
        if start + size < len(found):
            result["nextPageToken"] = page_token(start + size)
        result["isLast"] = start + size >= len(found)
        return JiraJSON(result)

    async def search_v2(request: Request, api: str) -> Response:
        if request.method == "POST":
            params = await json_body(request) or {}
            if not isinstance(params, dict):
                raise bad_request(messages=["Request body must be a JSON object."])
        else:
            params = {
                "jql": request.query_params.get("jql"),
                "startAt": int_param(request, "startAt", 0),
                "maxResults": int_param(request, "maxResults", 50),
                "fields": query_list(request, "fields"),
                "expand": request.query_params.get("expand"),
            }
        query = host.compile_jql(str(params.get("jql") or ""), actor(request))
        start = max(0, int(params.get("startAt") or 0))
        size = max(0, min(int(params.get("maxResults") or 50), 1000))
        found = await run_query(host, query, set())
        fields = params.get("fields")
        fields = fields.split(",") if isinstance(fields, str) else fields
        expand = params.get("expand") or []
        expand = expand.split(",") if isinstance(expand, str) else list(expand)
        r = renderer(host, api)
        return JiraJSON(
            {
                "expand": "schema,names",
                "startAt": start,
                "maxResults": size,
                "total": len(found),
                "issues": [
                    r.issue(i, fields=fields, expand=expand) for i in found[start : start + size]
                ],
            }
        )

    async def removed(request: Request, api: str) -> Response:
        raise JiraError(410, messages=[REMOVED])

    if host.state.flavor == "datacenter":
        return rest_routes(host, [("GET,POST", "/search", search_v2)], apis)
    cloud: list[Any] = [
        ("GET,POST", "/search/jql", search_jql),
        ("GET,POST", "/search", removed),
        ("POST", "/search/id", removed),
    ]
    return rest_routes(host, cloud, apis)
