"""Metadata: who am I, server, projects, issue types, fields, createmeta, users, link types."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jira_emulator.errors import JiraError, not_found
from jira_emulator.http import (
    Host,
    JiraJSON,
    actor,
    anonymous,
    int_param,
    query_list,
    renderer,
    rest_routes,
)
from jira_emulator.model import IssueType, Project, State
from jira_emulator.render import jira_time
from jira_emulator.render_issue import IssueRenderer, create_meta_field

_PROJECT_PERMISSIONS = frozenset({
    "ADD_COMMENTS", "ADMINISTER_PROJECTS", "ASSIGN_ISSUES", "ASSIGNABLE_USER", "BROWSE_PROJECTS",
    "CLOSE_ISSUES", "CREATE_ISSUES", "DELETE_ISSUES", "EDIT_ISSUES", "LINK_ISSUES",
    "RESOLVE_ISSUES", "SCHEDULE_ISSUES", "TRANSITION_ISSUES", "WORK_ON_ISSUES",
})  # fmt: skip


def meta_routes(host: Host, apis: list[str]) -> list[Route]:
    def state() -> State:  # swapped on restore/reset: always read through the host
        return host.state

    async def myself(request: Request, api: str) -> Response:
        body = renderer(host, api).user(actor(request)) or {}
        body |= {
            "locale": "en_US",
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
        }
        return JiraJSON(body)

    @anonymous  # "This operation can be accessed anonymously." (Atlassian's reference)
    async def server_info(request: Request, api: str) -> Response:
        now = jira_time(host.service.now())
        url = state().base_url
        if state().flavor == "datacenter":
            return JiraJSON({
                "baseUrl": url, "version": "9.12.15", "versionNumbers": [9, 12, 15],
                "deploymentType": "Server", "buildNumber": 9120015,
                "buildDate": "2024-10-01T00:00:00.000+0000", "databaseBuildNumber": 9120015,
                "serverTime": now, "scmInfo": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
                "serverTitle": "Jira",
            })  # fmt: skip
        return JiraJSON({
            "baseUrl": url, "displayUrl": url, "displayUrlServicedeskHelpCenter": url,
            "displayUrlConfluence": url, "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0], "deploymentType": "Cloud", "buildNumber": 100287,
            "buildDate": "2025-07-24T13:05:26.000+0200", "serverTime": now,
            "scmInfo": "0139ea21e0f8b5dafbd2e1eb33923e0c468b7f69", "serverTitle": "Jira",
            "defaultLocale": {"locale": "en_US"}, "serverTimeZone": "Etc/UTC",
        })  # fmt: skip

    def project_or_404(ref: str) -> Project:
        project = state().project_by_ref(ref)
        if project is None:
            raise not_found(f"No project could be found with key '{ref}'.")
        return project

    async def my_permissions(request: Request, api: str) -> Response:
        """`/mypermissions`: the emulator has no permission schemes, so every user holds every
        project permission but ADMINISTER_PROJECTS, which admins hold too."""
        keys = query_list(request, "permissions")
        if not keys:
            raise JiraError(400, messages=["The 'permissions' query parameter is required."])
        unknown = [k for k in keys if k not in _PROJECT_PERMISSIONS]
        if unknown:
            raise JiraError(400, messages=[f"The permission key '{unknown[0]}' is not valid."])
        if ref := request.query_params.get("projectKey"):
            project_or_404(ref)
        admin = actor(request).admin
        return JiraJSON({
            "permissions": {
                key: {
                    "id": str(n), "key": key, "name": key.replace("_", " ").title(),
                    "type": "PROJECT", "havePermission": admin or key != "ADMINISTER_PROJECTS",
                }
                for n, key in enumerate(keys, start=10)
            }
        })  # fmt: skip

    async def projects(request: Request, api: str) -> Response:
        r = renderer(host, api)
        return JiraJSON([r.project(p) for p in state().projects.values()])

    async def project_search(request: Request, api: str) -> Response:
        r = renderer(host, api)
        start, size = int_param(request, "startAt", 0), int_param(request, "maxResults", 50)
        query = (request.query_params.get("query") or "").lower()
        found = [
            p
            for p in state().projects.values()
            if query in p.key.lower() or query in p.name.lower()
        ]
        page = found[start : start + size]
        return JiraJSON(
            {
                "self": str(request.url),
                "maxResults": size,
                "startAt": start,
                "total": len(found),
                "isLast": start + size >= len(found),
                "values": [r.project(p) for p in page],
            }
        )

    async def project(request: Request, api: str) -> Response:
        found = project_or_404(request.path_params["ref"])
        return JiraJSON(renderer(host, api).project(found, full=True))

    async def project_statuses(request: Request, api: str) -> Response:
        found = project_or_404(request.path_params["ref"])
        r = renderer(host, api)
        workflow = state().workflows[found.workflow]
        statuses = [r.status(s) for s in state().statuses.values() if s.name in workflow.statuses]
        return JiraJSON(
            [
                r.issue_type(state().issue_types[t]) | {"statuses": statuses}
                for t in found.issue_types
            ]
        )

    async def project_components(request: Request, api: str) -> Response:
        found = project_or_404(request.path_params["ref"])
        r = renderer(host, api)
        return JiraJSON([r.component(found, i, n) for i, n in enumerate(found.components)])

    async def labels(request: Request, api: str) -> Response:
        """Cloud's `/label`: the labels in use on the site's issues, paged (PageBeanString)."""
        start, size = int_param(request, "startAt", 0), int_param(request, "maxResults", 1000)
        used = sorted(
            {str(x) for i in state().issues.values() for x in i.fields.get("labels") or ()}
        )
        page = used[start : start + size]
        last = start + size >= len(used)
        return JiraJSON(
            {
                "isLast": last,
                "maxResults": size,
                "startAt": start,
                "total": len(used),
                "values": page,
            }
        )

    def catalogue(kind: str) -> Any:
        async def listing(request: Request, api: str) -> Response:
            r = renderer(host, api)
            items: dict[str, Any] = {
                "issuetype": [r.issue_type(t) for t in state().issue_types.values()],
                "priority": [r.priority(p) for p in state().priorities.values()],
                "status": [r.status(s) for s in state().statuses.values()],
                "resolution": [r.resolution(x) for x in state().resolutions.values()],
                "field": [r.field(f) for f in state().visible_fields()],
                "statuscategory": [
                    r.status_category(k) for k in ("undefined", "new", "indeterminate", "done")
                ],
            }
            return JiraJSON(items[kind])

        return listing

    async def link_types(request: Request, api: str) -> Response:
        r = renderer(host, api)
        return JiraJSON({"issueLinkTypes": [r.link_type(t) for t in state().link_types.values()]})

    def screen_fields(r: IssueRenderer, project: Project, issue_type: IssueType) -> list[Any]:
        required = [*project.required_fields(issue_type.name), "issuetype", "project"]
        out = []
        for field_id in project.screen(issue_type.name):
            field = state().fields.get(field_id)
            if field is None or state().flavor not in field.flavors:
                continue
            out.append(
                create_meta_field(
                    r,
                    field,
                    required=field_id in required,
                    project_id=project.id,
                    type_id=issue_type.id,
                )
            )
        return out

    def types_of(project: Project) -> list[IssueType]:
        return [state().issue_types[t] for t in project.issue_types]

    def createmeta_page(
        size: int, start: int, every: list[Any], page: list[Any], cloud_key: str
    ) -> dict[str, Any]:
        """Cloud pages carry `issueTypes`/`fields` (and the newer names the spec adds); Data
        Center 8.4+ pages carry `values` and `isLast` (what the `jira` client reads there)."""
        body: dict[str, Any] = {"maxResults": size, "startAt": start, "total": len(every)}
        if state().flavor == "datacenter":
            return body | {"isLast": start + size >= len(every), "values": page}
        newer = "createMetaIssueType" if cloud_key == "issueTypes" else "results"
        return body | {cloud_key: page, newer: page}

    async def createmeta_types(request: Request, api: str) -> Response:
        found = project_or_404(request.path_params["ref"])
        r = renderer(host, api)
        start, size = int_param(request, "startAt", 0), int_param(request, "maxResults", 50)
        types = types_of(found)
        page = [r.issue_type(t) for t in types[start : start + size]]
        return JiraJSON(createmeta_page(size, start, types, page, "issueTypes"))

    async def createmeta_fields(request: Request, api: str) -> Response:
        found = project_or_404(request.path_params["ref"])
        type_id = request.path_params["type_id"]
        issue_type = next((t for t in types_of(found) if t.id == type_id), None)
        if issue_type is None:
            raise JiraError(
                404,
                messages=[
                    "Issue type with id '" + type_id + "' does not "
                    "exist or is not available in this project."
                ],
            )
        r = renderer(host, api)
        start, size = int_param(request, "startAt", 0), int_param(request, "maxResults", 50)
        fields = screen_fields(r, found, issue_type)
        page = fields[start : start + size]
        return JiraJSON(createmeta_page(size, start, fields, page, "fields"))

    def legacy_type(r: IssueRenderer, proj: Project, t: IssueType, fields: bool) -> Any:
        entry = r.issue_type(t) | {"untranslatedName": t.name, "expand": "fields"}
        entry.pop("avatarId")
        if fields:  # the legacy createmeta names fields by `key` only (no `fieldId`)
            entry["fields"] = {f.pop("fieldId"): f for f in screen_fields(r, proj, t)}
        return entry

    async def createmeta_legacy(request: Request, api: str) -> Response:
        r = renderer(host, api)
        keys = set(request.query_params.get("projectKeys", "").split(",")) - {""}
        names = set(request.query_params.get("issuetypeNames", "").split(",")) - {""}
        with_fields = "fields" in request.query_params.get("expand", "")
        projects_out = []
        for proj in state().projects.values():
            if keys and proj.key not in keys:
                continue
            types = [
                legacy_type(r, proj, t, with_fields)
                for t in types_of(proj)
                if not names or t.name in names
            ]
            ref = r.project_ref(proj)
            for absent in ("projectTypeKey", "simplified"):  # not in the legacy shape
                ref.pop(absent)
            projects_out.append(ref | {"expand": "issuetypes", "issuetypes": types})
        return JiraJSON({"expand": "projects", "projects": projects_out})

    async def user_search(request: Request, api: str) -> Response:
        r = renderer(host, api)
        params = request.query_params
        query = (
            params.get("query")
            if state().flavor == "cloud"
            else params.get("username") or params.get("query")
        ) or ""
        query = query.lower()
        account = params.get("accountId")
        found = [
            u
            for u in state().users.values()
            if (account and u.account_id == account)
            or (
                not account
                and query
                and (
                    u.email.lower().startswith(query)
                    or u.name.lower().startswith(query)
                    or u.display_name.lower().startswith(query)
                    or any(w.startswith(query) for w in u.display_name.lower().split())
                )
            )
        ]
        return JiraJSON([r.user(u) for u in found[: int_param(request, "maxResults", 50)]])

    async def assignable_search(request: Request, api: str) -> Response:
        """Every user may be assigned in every project here; the project must exist."""
        params = request.query_params
        if ref := params.get("project"):
            project_or_404(ref)
        elif not (params.get("issueKey") or params.get("issueId")):
            raise JiraError(400, messages=["A project, issue key or issue id is required."])
        return await user_search(request, api)

    async def user(request: Request, api: str) -> Response:
        params = request.query_params
        found = (
            state().user_by_account_id(params.get("accountId", ""))
            if "accountId" in params
            else state().users.get(params.get("username") or params.get("key") or "")
        )
        if found is None:
            raise JiraError(
                404,
                messages=["Specified user does not exist or you do not have required permissions"],
            )
        return JiraJSON(renderer(host, api).user(found))

    table = [
        ("GET", "/myself", myself),
        ("GET", "/mypermissions", my_permissions),
        ("GET", "/serverInfo", server_info),
        ("GET", "/project", projects),
        ("GET", "/project/{ref}", project),
        ("GET", "/project/{ref}/statuses", project_statuses),
        ("GET", "/project/{ref}/components", project_components),
        ("GET", "/issuetype", catalogue("issuetype")),
        ("GET", "/priority", catalogue("priority")),
        ("GET", "/status", catalogue("status")),
        ("GET", "/resolution", catalogue("resolution")),
        ("GET", "/field", catalogue("field")),
        ("GET", "/statuscategory", catalogue("statuscategory")),
        ("GET", "/issueLinkType", link_types),
        ("GET", "/issue/createmeta", createmeta_legacy),
        ("GET", "/issue/createmeta/{ref}/issuetypes", createmeta_types),
        ("GET", "/issue/createmeta/{ref}/issuetypes/{type_id}", createmeta_fields),
        ("GET", "/user/search", user_search),
        ("GET", "/user/assignable/search", assignable_search),
        ("GET", "/user", user),
    ]
    if host.state.flavor == "cloud":
        table.append(("GET", "/project/search", project_search))
        table.append(("GET", "/label", labels))  # Data Center has no label list
    # /project/search must win over /project/{ref}: put the literal route first.
    table.sort(key=lambda row: "{" in row[1])
    return rest_routes(host, table, apis)
