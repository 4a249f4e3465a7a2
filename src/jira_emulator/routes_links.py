"""Issue links, remote links and issue properties."""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jira_emulator.errors import ISSUE_NOT_FOUND, JiraError, bad_request, not_found
from jira_emulator.http import Host, JiraJSON, actor, json_body, renderer, rest_routes
from jira_emulator.issuelinks import LinkRequest, make_link
from jira_emulator.model import Issue, RemoteLink, State
from jira_emulator.routes_issues import lookup_issue
from jira_emulator.service_core import Event

MAX_PROPERTY_BYTES = 32768


def _issue_ref(host: Host, raw: Any, where: str) -> Issue:
    ref = (raw.get("key") or raw.get("id")) if isinstance(raw, dict) else None
    issue = host.state.issue_by_ref(str(ref)) if ref else None
    if issue is None:
        raise JiraError(404, messages=[f"Cannot find {where} issue: {ref}"])
    return issue


def link_routes(host: Host, apis: list[str]) -> list[Route]:
    def state() -> State:  # swapped on restore/reset: always read through the host
        return host.state

    def touched(issue: Issue, who: str) -> None:
        issue.updated = host.service.now()
        host.service.emit(Event("jira:issue_updated", copy.deepcopy(issue), who, "issue_updated"))

    async def create_link(request: Request, api: str) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("type"), dict):
            raise bad_request(messages=["Link type is required."])
        wanted = body["type"]
        link_type = next(
            (
                t
                for t in state().link_types.values()
                if t.id == str(wanted.get("id")) or t.name == wanted.get("name")
            ),
            None,
        )
        if link_type is None:
            raise JiraError(
                404, messages=[f"No issue link type with name '{wanted.get('name')}' found."]
            )
        inward = _issue_ref(host, body.get("inwardIssue"), "inward")
        outward = _issue_ref(host, body.get("outwardIssue"), "outward")
        known = set(state().links)
        link = make_link(state(), LinkRequest(link_type.id, outward.id, True), inward.id)
        body_comment = body.get("comment")
        if isinstance(body_comment, dict):
            host.service.add_comment(inward, body_comment, api, actor(request).name)
        touched(inward, actor(request).name)
        if link.id not in known:  # an identical link is kept once, as Jira does
            who = actor(request).name
            host.service.emit(Event("issuelink_created", copy.deepcopy(inward), who, link=link))
        return Response(
            status_code=201, headers={"Location": f"{renderer(host, api).root}/issueLink/{link.id}"}
        )

    async def get_link(request: Request, api: str) -> Response:
        link = state().links.get(request.path_params["link_id"])
        if link is None:
            raise not_found(f"No issue link with id '{request.path_params['link_id']}' exists.")
        r = renderer(host, api)
        inward, outward = state().issues[link.inward], state().issues[link.outward]
        return JiraJSON(
            {
                "id": link.id,
                "self": f"{r.root}/issueLink/{link.id}",
                "type": r.link_type(state().link_types[link.type_id]),
                "inwardIssue": r.linked_issue(inward),
                "outwardIssue": r.linked_issue(outward),
            }
        )

    async def delete_link(request: Request, api: str) -> Response:
        link = state().links.pop(request.path_params["link_id"], None)
        if link is None:
            raise not_found(f"No issue link with id '{request.path_params['link_id']}' exists.")
        source = state().issues.get(link.inward)
        if source is not None:
            who = actor(request).name
            host.service.emit(Event("issuelink_deleted", copy.deepcopy(source), who, link=link))
        return Response(status_code=204)

    def remote_json(api: str, issue: Issue, link: RemoteLink) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": link.id,
            "self": f"{renderer(host, api).root}/issue/{issue.key}/remotelink/{link.id}",
            "application": link.application,
            "object": link.object,
        }
        if link.global_id is not None:
            body["globalId"] = link.global_id
        if link.relationship is not None:
            body["relationship"] = link.relationship
        return body

    async def remote_links(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        wanted = request.query_params.get("globalId")
        found = [
            remote_json(api, issue, link)
            for link in issue.remote_links
            if wanted is None or link.global_id == wanted
        ]
        return JiraJSON(found)

    async def add_remote_link(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        body = await json_body(request)
        obj = body.get("object") if isinstance(body, dict) else None
        if not isinstance(obj, dict) or not obj.get("url") or not obj.get("title"):
            errors = (
                {} if isinstance(obj, dict) and obj.get("url") else {"url": "'url' is required."}
            )
            if not (isinstance(obj, dict) and obj.get("title")):
                errors["title"] = "'title' is required."
            raise bad_request(errors=errors)
        global_id = body.get("globalId")
        existing = next(
            (x for x in issue.remote_links if global_id and x.global_id == global_id), None
        )
        status = 200
        if existing is None:
            existing = RemoteLink(
                state().next_id("remotelink", 10000),
                global_id,
                body.get("relationship"),
                obj,
                body.get("application") or {},
            )
            issue.remote_links.append(existing)
            status = 201
        else:  # same globalId: Jira updates the link in place
            existing.object, existing.relationship = obj, body.get("relationship")
        self_url = f"{renderer(host, api).root}/issue/{issue.key}/remotelink/{existing.id}"
        return JiraJSON({"id": existing.id, "self": self_url}, status)

    async def delete_remote_link(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        link_id = request.path_params["link_id"]
        before = len(issue.remote_links)
        issue.remote_links = [x for x in issue.remote_links if str(x.id) != link_id]
        if len(issue.remote_links) == before:
            raise not_found("No remote link with id '" + link_id + "' exists.")
        return Response(status_code=204)

    async def delete_remote_link_by_global_id(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        global_id = request.query_params.get("globalId")
        if not global_id:
            raise bad_request(messages=["The 'globalId' query parameter is required."])
        kept = [x for x in issue.remote_links if x.global_id != global_id]
        if len(kept) == len(issue.remote_links):
            raise not_found("No remote link with globalId '" + global_id + "' exists.")
        issue.remote_links = kept
        return Response(status_code=204)

    async def property_keys(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        root = renderer(host, api).root
        return JiraJSON(
            {
                "keys": [
                    {"self": f"{root}/issue/{issue.id}/properties/{key}", "key": key}
                    for key in issue.properties
                ]
            }
        )

    async def get_property(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        key = request.path_params["key"]
        if key not in issue.properties:
            raise not_found(f"The property with key '{key}' does not exist.")
        return JiraJSON({"key": key, "value": issue.properties[key]})

    async def set_property(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        raw = await request.body()
        if len(raw) > MAX_PROPERTY_BYTES:
            raise bad_request(messages=["The property value is too large: it exceeds 32768 bytes."])
        key = request.path_params["key"]
        if len(key) > 255:
            raise bad_request(messages=["The property key can not be longer than 255 characters."])
        value = await json_body(request)
        host.service._before_change(issue)
        created = key not in issue.properties
        issue.properties[key] = value
        host.service._after_change(issue)
        return Response(status_code=201 if created else 200)

    async def delete_property(request: Request, api: str) -> Response:
        issue = lookup_issue(host, request)
        key = request.path_params["key"]
        if key not in issue.properties:
            raise not_found(f"The property with key '{key}' does not exist.")
        host.service._before_change(issue)
        del issue.properties[key]
        host.service._after_change(issue)
        return Response(status_code=204)

    async def add_to_epic(request: Request, api: str) -> Response:
        """Jira Software's (greenhopper) "add issues to epic", as DefectDojo calls it."""
        epic = state().issue_by_ref(request.path_params["epic"])
        body = await json_body(request)
        refs = body.get("issueKeys") if isinstance(body, dict) else None
        issues = [state().issue_by_ref(str(ref)) for ref in refs or []]
        epic_type = state().issue_type_by_name("Epic")
        if epic is None or epic_type is None or epic.fields["issuetype"] != epic_type.id:
            raise bad_request(messages=[ISSUE_NOT_FOUND])
        if not refs or any(i is None for i in issues):
            raise bad_request(messages=[ISSUE_NOT_FOUND])
        link_field = "customfield_10017" if state().flavor == "datacenter" else "parent"
        for issue in issues:
            assert issue is not None
            host.service.edit(
                issue,
                {"fields": {link_field: epic.key}}
                if link_field == "customfield_10017"
                else {"fields": {"parent": {"key": epic.key}}},
                "2",
                actor(request).name,
            )
        return Response(status_code=204)

    async def application_links(request: Request, api: str) -> Response:
        return JiraJSON([])  # no linked applications (the `jira` client asks before remote links)

    table = [
        ("POST", "/issueLink", create_link),
        ("GET", "/issueLink/{link_id}", get_link),
        ("DELETE", "/issueLink/{link_id}", delete_link),
        ("GET", "/issue/{ref}/remotelink", remote_links),
        ("POST", "/issue/{ref}/remotelink", add_remote_link),
        ("DELETE", "/issue/{ref}/remotelink/{link_id}", delete_remote_link),
        ("DELETE", "/issue/{ref}/remotelink", delete_remote_link_by_global_id),
        ("GET", "/issue/{ref}/properties", property_keys),
        ("GET", "/issue/{ref}/properties/{key}", get_property),
        ("PUT", "/issue/{ref}/properties/{key}", set_property),
        ("DELETE", "/issue/{ref}/properties/{key}", delete_property),
    ]
    applinks = [
        ("GET", "/rest/applinks/latest/listApplicationlinks", application_links),
        ("PUT", "/rest/greenhopper/1.0/epics/{epic}/add", add_to_epic),
    ]
    return rest_routes(host, table, apis) + rest_routes(host, applinks, apis[:1])
