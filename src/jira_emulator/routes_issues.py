"""Issues: create (single and bulk), get, edit, delete, comments, transitions, assignee."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jira_emulator.errors import JiraError, bad_request, not_found
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
from jira_emulator.model import Comment, Issue
from jira_emulator.render_issue import create_meta_field
from jira_emulator.workflow import available_transitions, do_transition

MAX_BULK = 50


def lookup_issue(host: Host, request: Request) -> Issue:
    issue = host.state.issue_by_ref(request.path_params["ref"])
    if issue is None:
        raise not_found()
    return issue


def _comment(issue: Issue, comment_id: str) -> Comment:
    found = next((c for c in issue.comments if c.id == comment_id), None)
    if found is None:
        raise not_found("Can not find a comment for the id: " + comment_id + ".")
    return found


def _no_content() -> Response:
    return Response(status_code=204)


def issue_routes(host: Host, apis: list[str]) -> list[Route]:
    service = host.service

    async def create(request: Request, api: str) -> Response:
        issue = service.create(await json_body(request), api, actor(request).name)
        return JiraJSON(renderer(host, api).issue_ref(issue), 201)

    async def bulk(request: Request, api: str) -> Response:
        body = await json_body(request)
        updates = body.get("issueUpdates") if isinstance(body, dict) else None
        if not isinstance(updates, list):
            raise bad_request(messages=["Request body must contain 'issueUpdates'."])
        if len(updates) > MAX_BULK:
            raise bad_request(
                messages=[f"The number of issues to be created exceeds the limit of {MAX_BULK}."]
            )
        r = renderer(host, api)
        created: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for number, update in enumerate(updates):
            try:
                created.append(r.issue_ref(service.create(update, api, actor(request).name)))
            except JiraError as error:
                errors.append(
                    {
                        "status": error.status,
                        "elementErrors": error.body,
                        "failedElementNumber": number,
                    }
                )
        status = 201 if created or not updates else 400
        return JiraJSON({"issues": created, "errors": errors}, status)

    async def get(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        return JiraJSON(
            renderer(host, api).issue(
                issue,
                fields=query_list(request, "fields"),
                expand=query_list(request, "expand") or [],
                properties=query_list(request, "properties") or [],
            )
        )

    async def edit(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        service.edit(issue, await json_body(request), api, actor(request).name)
        if request.query_params.get("returnIssue") == "true":
            return JiraJSON(renderer(host, api).issue(issue))
        return _no_content()

    async def delete(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        subtasks = request.query_params.get("deleteSubtasks") == "true"
        service.delete(issue, actor(request).name, delete_subtasks=subtasks)
        return _no_content()

    async def assignee(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        body = await json_body(request)
        service.edit(issue, {"fields": {"assignee": body}}, api, actor(request).name)
        return _no_content()

    async def editmeta(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        r = renderer(host, api)
        project = host.state.projects[issue.project]
        type_id = issue.fields["issuetype"]
        type_name = host.state.issue_types[type_id].name
        fields = {}
        for field_id in project.screen(type_name):
            field = host.state.fields.get(field_id)
            if field is not None and host.state.flavor in field.flavors:
                fields[field_id] = create_meta_field(
                    r,
                    field,
                    required=field_id in project.required_fields(type_name),
                    project_id=project.id,
                    type_id=type_id,
                )
        for meta in fields.values():
            meta.pop("fieldId")  # editmeta's FieldMetadata has no fieldId
        return JiraJSON({"fields": fields})

    async def comments(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        r = renderer(host, api)
        start, size = int_param(request, "startAt", 0), int_param(request, "maxResults", 5000)
        ordered = sorted(
            issue.comments,
            key=lambda c: c.created,
            reverse=request.query_params.get("orderBy") == "-created",
        )
        page = ordered[start : start + size]
        return JiraJSON(
            {
                "startAt": start,
                "maxResults": size,
                "total": len(ordered),
                "comments": [r.comment(issue, c) for c in page],
            }
        )

    async def add_comment(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        comment = service.add_comment(issue, await json_body(request), api, actor(request).name)
        body = renderer(host, api).comment(issue, comment)
        return JiraJSON(body, 201, headers={"Location": body["self"]})

    async def get_comment(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        comment = _comment(issue, request.path_params["comment_id"])
        return JiraJSON(renderer(host, api).comment(issue, comment))

    async def edit_comment(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        comment = _comment(issue, request.path_params["comment_id"])
        service.edit_comment(issue, comment, await json_body(request), api, actor(request).name)
        return JiraJSON(renderer(host, api).comment(issue, comment))

    async def delete_comment(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        comment = _comment(issue, request.path_params["comment_id"])
        service.delete_comment(issue, comment, actor(request).name)
        return _no_content()

    async def transitions(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        r = renderer(host, api)
        with_fields = "transitions.fields" in (request.query_params.get("expand") or "")
        wanted = request.query_params.get("transitionId")
        found = [t for t in available_transitions(service, issue) if not wanted or t.id == wanted]
        return JiraJSON(
            {
                "expand": "transitions",
                "transitions": [r.transition(t, fields=with_fields) for t in found],
            }
        )

    async def transition(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        do_transition(service, issue, await json_body(request), api, actor(request).name)
        return _no_content()

    table = [
        ("POST", "/issue", create),
        ("POST", "/issue/bulk", bulk),
        ("GET", "/issue/{ref}", get),
        ("PUT", "/issue/{ref}", edit),
        ("DELETE", "/issue/{ref}", delete),
        ("PUT", "/issue/{ref}/assignee", assignee),
        ("GET", "/issue/{ref}/editmeta", editmeta),
        ("GET", "/issue/{ref}/comment", comments),
        ("POST", "/issue/{ref}/comment", add_comment),
        ("GET", "/issue/{ref}/comment/{comment_id}", get_comment),
        ("PUT", "/issue/{ref}/comment/{comment_id}", edit_comment),
        ("DELETE", "/issue/{ref}/comment/{comment_id}", delete_comment),
        ("GET", "/issue/{ref}/transitions", transitions),
        ("POST", "/issue/{ref}/transitions", transition),
    ]
    return rest_routes(host, table, apis)
