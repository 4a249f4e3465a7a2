"""The issue resource (REST v2 and v3) and the pieces hung on it: comments, changelog, links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from jira_emulator.model import ChangeGroup, Comment, FieldDef, Issue, IssueLink, State
from jira_emulator.render import Renderer, jira_time

_OPERATIONS = {
    "components": ["add", "set", "remove"],
    "fixVersions": ["set", "add", "remove"],
    "issuelinks": ["add"],
    "attachment": ["set", "copy"],
    "issuetype": [],
}
_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


class IssueRenderer(Renderer):
    """Lives for one request. A search page renders up to 100 issues, and each one's subtasks
    and links are found among all issues and links: they are indexed once per renderer, or a
    page of a 100,000-issue site would read them 100 times."""

    def __init__(self, state: State, api: str) -> None:
        super().__init__(state, api)
        self._subtasks: dict[str, list[Issue]] | None = None
        self._links: dict[int, list[IssueLink]] | None = None

    def _subtasks_of(self, issue: Issue) -> list[Issue]:
        if self._subtasks is None:
            self._subtasks = defaultdict(list)
            for each in self.state.issues.values():
                parent = each.fields.get("parent")
                if isinstance(parent, str):
                    self._subtasks[parent].append(each)
        return self._subtasks.get(issue.key, [])

    def _links_of(self, issue: Issue) -> list[IssueLink]:
        if self._links is None:
            self._links = defaultdict(list)
            for link in self.state.links.values():
                self._links[link.inward].append(link)
                if link.outward != link.inward:
                    self._links[link.outward].append(link)
        return self._links.get(issue.id, [])

    def issue_ref(self, issue: Issue) -> dict[str, Any]:
        return {"id": str(issue.id), "key": issue.key, "self": f"{self.root}/issue/{issue.id}"}

    def comment(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        body: dict[str, Any] = {
            "self": f"{self.root}/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": self.user_by_name(comment.author),
            "body": self.rich(comment.body),
            "updateAuthor": self.user_by_name(comment.update_author),
            "created": jira_time(comment.created),
            "updated": jira_time(comment.updated),
        }
        if self.cloud:
            body["jsdPublic"] = True
        return body

    def comments_page(self, issue: Issue, comments: list[Comment]) -> dict[str, Any]:
        return {
            "comments": [self.comment(issue, c) for c in comments],
            "self": f"{self.root}/issue/{issue.id}/comment",
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        }

    def change_item(self, item: Any) -> dict[str, Any]:
        body = {
            "field": item.field,
            "fieldtype": item.fieldtype,
            "fieldId": item.field_id,
            "from": item.from_,
            "fromString": item.from_string,
            "to": item.to,
            "toString": item.to_string,
        }
        if item.account_ids and self.cloud:
            body["tmpFromAccountId"] = item.from_
            body["tmpToAccountId"] = item.to
        return body

    def history(self, group: ChangeGroup) -> dict[str, Any]:
        return {
            "id": group.id,
            "author": self.user_by_name(group.author),
            "created": jira_time(group.created),
            "items": [self.change_item(i) for i in group.items],
        }

    def changelog(self, issue: Issue) -> dict[str, Any]:
        histories = [self.history(g) for g in issue.changelog]
        return {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        }

    def link(self, link: IssueLink, issue: Issue) -> dict[str, Any] | None:
        link_type = self.state.link_types[link.type_id]
        body: dict[str, Any] = {
            "id": link.id,
            "self": f"{self.root}/issueLink/{link.id}",
            "type": self.link_type(link_type),
        }
        outward = link.inward == issue.id
        other = self.state.issues.get(link.outward if outward else link.inward)
        if other is None:
            return None
        body["outwardIssue" if outward else "inwardIssue"] = self.linked_issue(other)
        return body

    def linked_issue(self, issue: Issue) -> dict[str, Any]:
        return self.issue_ref(issue) | {
            "fields": {
                "summary": issue.fields.get("summary"),
                "status": self.status(self.state.statuses[issue.status]),
                "priority": self._priority(issue),
                "issuetype": self.issue_type(self.state.issue_types[issue.fields["issuetype"]]),
            }
        }

    def _priority(self, issue: Issue) -> dict[str, Any] | None:
        prio = issue.fields.get("priority")
        return self.priority(self.state.priorities[prio]) if prio else None

    def custom_value(self, field: FieldDef, value: Any) -> Any:
        if value is None or value == []:
            return [] if field.kind in ("multiselect", "labels") and value == [] else None
        if field.kind == "select":
            option = field.option_by_value(value)
            return self.option(field, option) if option else None
        if field.kind == "multiselect":
            found = [field.option_by_value(v) for v in value]
            return [self.option(field, o) for o in found if o]
        if field.kind == "user":
            return self.user_by_name(value)
        if field.rich:
            return self.rich(value)
        return value

    def all_fields(self, issue: Issue) -> dict[str, Any]:
        state = self.state
        status = state.statuses[issue.status]
        project = state.projects[issue.project]
        links = [self.link(link, issue) for link in self._links_of(issue)]
        subtasks = [self.linked_issue(i) for i in self._subtasks_of(issue)]
        f = issue.fields
        out: dict[str, Any] = {
            "statuscategorychangedate": jira_time(issue.status_category_changed),
            "issuetype": self.issue_type(state.issue_types[f["issuetype"]]),
            "timespent": None,
            "project": self.project_ref(project),
            "fixVersions": [],
            "aggregatetimespent": None,
            "statusCategory": self.status_category(status.category),
            "resolution": (
                self.resolution(state.resolutions[issue.resolution]) if issue.resolution else None
            ),
            "resolutiondate": jira_time(issue.resolution_date),
            "workratio": -1,
            "lastViewed": None,
            "watches": {
                "self": f"{self.root}/issue/{issue.key}/watchers",
                "watchCount": 0,
                "isWatching": False,
            },
            "created": jira_time(issue.created),
            "priority": self._priority(issue),
            "labels": list(f.get("labels") or []),
            "timeestimate": None,
            "aggregatetimeoriginalestimate": None,
            "versions": [],
            "issuelinks": [link for link in links if link is not None],
            "assignee": self.user_by_name(f.get("assignee")),
            "updated": jira_time(issue.updated),
            "status": self.status(status),
            "components": [
                {"self": f"{self.root}/component/{name}", "name": name}
                for name in f.get("components") or []
            ],
            "timeoriginalestimate": None,
            "description": self.rich(f.get("description")),
            "timetracking": {},
            "security": None,
            "aggregatetimeestimate": None,
            "attachment": [],
            "summary": f.get("summary"),
            "creator": self.user_by_name(f.get("creator")),
            "subtasks": subtasks,
            "reporter": self.user_by_name(f.get("reporter")),
            "aggregateprogress": {"progress": 0, "total": 0},
            "environment": self.rich(f.get("environment")),
            "duedate": f.get("duedate"),
            "progress": {"progress": 0, "total": 0},
            "votes": {
                "self": f"{self.root}/issue/{issue.key}/votes",
                "votes": 0,
                "hasVoted": False,
            },
            "comment": self.comments_page(issue, issue.comments),
            "worklog": {"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []},
        }
        if f.get("parent"):
            parent = state.issue_by_ref(f["parent"])
            if parent is not None:
                out["parent"] = self.linked_issue(parent)
        if self.cloud:  # current Cloud (2025 recordings, 2024 deliveries) carries it
            out["issuerestriction"] = {"issuerestrictions": {}, "shouldDisplay": True}
        for field in state.visible_fields():
            if field.custom:
                out[field.id] = self.custom_value(field, f.get(field.id))
        return out

    def issue(
        self,
        issue: Issue,
        *,
        fields: Iterable[str] | None = None,
        expand: Iterable[str] = (),
        properties: Iterable[str] = (),
    ) -> dict[str, Any]:
        every = self.all_fields(issue)
        wanted = _select_fields(every, fields)
        body: dict[str, Any] = {"expand": _EXPAND, **self.issue_ref(issue), "fields": wanted}
        expand = set(expand)
        if "changelog" in expand:
            body["changelog"] = self.changelog(issue)
        if "names" in expand:
            body["names"] = {k: self.state.fields[k].name for k in wanted if k in self.state.fields}
        if "renderedFields" in expand:
            body["renderedFields"] = {k: v for k, v in wanted.items() if isinstance(v, str)}
        props = _select_properties(issue.properties, properties)
        if props is not None:
            body["properties"] = props
        return body


def _select_fields(every: dict[str, Any], fields: Iterable[str] | None) -> dict[str, Any]:
    if fields is None:
        return every
    names = [f.strip() for f in fields if f.strip()]
    chosen = dict(every) if not names or "*all" in names or "*navigable" in names else {}
    for name in names:
        if name.startswith("-"):
            chosen.pop(name[1:], None)
        elif name in every:
            chosen[name] = every[name]
    return chosen


def _select_properties(props: dict[str, Any], wanted: Iterable[str]) -> dict[str, Any] | None:
    keys = [k.strip() for k in wanted if k.strip()]
    if not keys:
        return None
    if "*all" in keys:
        return dict(props)
    return {k: props[k] for k in keys if k in props}


def create_meta_field(
    renderer: Renderer, field: FieldDef, *, required: bool, project_id: str, type_id: str
) -> dict[str, Any]:
    """One field of a createmeta screen, shaped like the recorded createmeta responses."""
    ops = _OPERATIONS.get(field.id, ["set"])
    if field.kind in ("multiselect", "labels"):
        ops = ["add", "set", "remove"]
    body: dict[str, Any] = {
        "required": required,
        "schema": field.schema,
        "name": field.name,
        "key": field.id,
        "fieldId": field.id,
        "hasDefaultValue": field.id in ("priority", "reporter"),
        "operations": ops,
    }
    state = renderer.state
    if field.options:
        body["allowedValues"] = [renderer.option(field, o) for o in field.options]
    elif field.id == "priority":
        body["allowedValues"] = [renderer.priority(p) for p in state.priorities.values()]
        body["defaultValue"] = renderer.priority(state.priorities["3"])
    elif field.id == "issuetype":
        body["allowedValues"] = [renderer.issue_type(state.issue_types[type_id])]
    elif field.id == "project":
        project = next(p for p in state.projects.values() if p.id == project_id)
        body["allowedValues"] = [renderer.project_ref(project)]
    elif field.id == "components":
        project = next(p for p in state.projects.values() if p.id == project_id)
        body["allowedValues"] = [
            {"id": str(10000 + i), "name": n} for i, n in enumerate(project.components)
        ]
    elif field.id == "fixVersions":
        body["allowedValues"] = []
    elif field.id == "issuelinks":
        body["autoCompleteUrl"] = f"{renderer.root}/issue/picker?currentProjectId={project_id}&q="
    elif field.id == "assignee":
        key = next(p.key for p in state.projects.values() if p.id == project_id)
        body["autoCompleteUrl"] = f"{renderer.root}/user/assignable/search?project={key}&query="
    elif field.kind == "user" or field.id == "reporter":
        body["autoCompleteUrl"] = f"{renderer.root}/user/search?query="
    elif field.kind == "labels":
        body["autoCompleteUrl"] = f"{renderer.state.base_url}/rest/api/1.0/labels/suggest?query="
    return body
