"""What Jira does to issues: create, edit and delete, with screens, field rules and the changelog.

Comments live in `comments.py`, transitions in `workflow.py`, the clock, index lag and events
in `service_core.py`; `IssueService` is all of them together."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from jira_emulator.comments import CommentOps
from jira_emulator.errors import bad_request
from jira_emulator.fieldvalues import (
    FieldProblem,
    change_strings,
    parse_list_item,
    parse_value,
)
from jira_emulator.issuelinks import LinkRequest, make_link, parse_link_operations
from jira_emulator.model import ChangeGroup, ChangeItem, Issue, Project
from jira_emulator.service_core import Event, not_on_screen


class IssueService(CommentOps):
    def _screen_field(self, project: Project, type_name: str, field_id: str) -> Any:
        field = self.state.fields.get(field_id)
        if (
            field is None
            or self.state.flavor not in field.flavors
            or field_id not in project.screen(type_name)
        ):
            return None
        return field

    def _apply_fields(
        self,
        issue: Issue,
        values: dict[str, Any],
        api: str,
        errors: dict[str, str],
        *,
        creating: bool,
    ) -> dict[str, Any]:
        project = self.state.projects[issue.project]
        type_name = self.state.issue_types[issue.fields["issuetype"]].name
        new: dict[str, Any] = {}
        for field_id, raw in values.items():
            if field_id in ("project", "issuetype") and not creating:
                continue  # Jira accepts an edit that repeats project and issue type
            field = self._screen_field(project, type_name, field_id)
            if field is None:
                errors[field_id] = not_on_screen(field_id)
                continue
            try:
                new[field_id] = parse_value(self.state, field, raw, api, project)
            except FieldProblem as problem:
                errors[field_id] = str(problem)
        return new

    def _apply_update(
        self,
        issue: Issue,
        update: dict[str, Any],
        api: str,
        errors: dict[str, str],
        staged: dict[str, Any],
        links: list[LinkRequest],
    ) -> list[Any]:
        """Apply `update` operations into `staged`; returns comment bodies to add and puts the
        issue links to make (once the issue exists) in `links`."""
        project = self.state.projects[issue.project]
        type_name = self.state.issue_types[issue.fields["issuetype"]].name
        comments: list[Any] = []
        for field_id, operations in update.items():
            if field_id == "comment":
                comments.extend(self._comment_ops(operations, api, errors))
                continue
            field = self._screen_field(project, type_name, field_id)
            if field is None or not isinstance(operations, list):
                errors[field_id] = not_on_screen(field_id)
                continue
            if field_id == "issuelinks":
                try:
                    links.extend(parse_link_operations(self.state, operations))
                except FieldProblem as problem:
                    errors[field_id] = str(problem)
                continue
            current = staged.get(field_id, issue.fields.get(field_id))
            try:
                for operation in operations:
                    current = self._one_operation(field, current, operation, api, project)
            except FieldProblem as problem:
                errors[field_id] = str(problem)
                continue
            staged[field_id] = current
        return comments

    def _one_operation(
        self, field: Any, current: Any, operation: Any, api: str, project: Project
    ) -> Any:
        if not isinstance(operation, dict) or len(operation) != 1:
            raise FieldProblem("Operation must be an object with one of set, add, remove")
        ((verb, raw),) = operation.items()
        if verb == "set":
            return parse_value(self.state, field, raw, api, project)
        items = list(current or [])
        if verb == "add":
            item = parse_list_item(self.state, field, raw)
            return items if item in items else [*items, item]
        if verb == "remove":
            item = parse_list_item(self.state, field, raw)
            return [i for i in items if i != item]
        raise FieldProblem(f"Operation '{verb}' is not supported for {field.name}")

    def _record(self, issue: Issue, staged: dict[str, Any], actor: str) -> ChangeGroup | None:
        items = []
        for field_id, value in staged.items():
            old = issue.fields.get(field_id)
            if old == value or (old in (None, []) and value in (None, [])):
                continue
            field = self.state.fields[field_id]
            from_, from_s, to, to_s = change_strings(self.state, field, old, value)
            items.append(
                ChangeItem(
                    field=field.name if field.custom else field_id,
                    fieldtype="custom" if field.custom else "jira",
                    field_id=field_id,
                    from_=from_,
                    from_string=from_s,
                    to=to,
                    to_string=to_s,
                    account_ids=field.kind == "user" or field_id in ("assignee", "reporter"),
                )
            )
        if not items:
            return None
        return ChangeGroup(str(self.state.next_id("changelog", 10000)), actor, self.now(), items)

    # -- operations --------------------------------------------------------------------------
    def create(self, body: Any, api: str, actor: str) -> Issue:
        if not isinstance(body, dict) or not isinstance(body.get("fields", {}), dict):
            raise bad_request(messages=["Request body must be a JSON object with 'fields'."])
        values: dict[str, Any] = dict(body.get("fields") or {})
        project, issue_type = self._project_and_type(values)
        issue = Issue(
            id=0,
            key="",
            project=project.key,
            fields={"issuetype": issue_type.id, "labels": [], "creator": actor},
            created=self.now(),
            updated=self.now(),
            status="",
            status_category_changed=self.now(),
        )
        errors: dict[str, str] = {}
        staged = self._apply_fields(
            issue,
            {k: v for k, v in values.items() if k not in ("project", "issuetype")},
            api,
            errors,
            creating=True,
        )
        update = body.get("update") or {}
        links: list[LinkRequest] = []
        comments = self._apply_update(issue, update, api, errors, staged, links)
        for field_id in project.required_fields(issue_type.name):
            if staged.get(field_id) in (None, "", []) and field_id not in errors:
                errors[field_id] = (
                    "You must specify a summary of the issue."
                    if field_id == "summary"
                    else f"{self.state.fields[field_id].name} is required."
                )
        if issue_type.subtask and not staged.get("parent") and "parent" not in errors:
            errors["parent"] = "Issue type is a sub-task but parent issue key or id not specified."
        properties = body.get("properties") or []
        if not isinstance(properties, list) or not all(
            isinstance(p, dict) and isinstance(p.get("key"), str) for p in properties
        ):
            errors["properties"] = "Properties must be a list of {key, value} objects."
        if errors:
            raise bad_request(errors=errors)
        workflow = self.state.workflow_of(project.key)
        status = self.state.status_by_name(workflow.initial)
        assert status is not None
        issue.id = self.state.next_id("issue", 10000)
        issue.key = f"{project.key}-{project.next_number}"
        project.next_number += 1
        issue.status = status.id
        staged.setdefault("priority", "3")  # defaults appear in the creation changelog too
        staged.setdefault("reporter", actor)
        log = self._record(issue, staged, actor)
        issue.fields.update(staged)
        issue.properties = {p["key"]: p.get("value") for p in properties}
        self.state.issues[issue.id] = issue
        for comment_body in comments:
            issue.comments.append(self._new_comment(comment_body, actor))
        self._after_change(issue)
        if log is not None:
            log.items.append(
                ChangeItem("status", "jira", "status", None, None, status.id, status.name)
            )
        self.emit(Event("jira:issue_created", copy.deepcopy(issue), actor, "issue_created", log))
        self._link(issue, links, actor)
        return issue

    def _link(self, issue: Issue, links: list[LinkRequest], actor: str) -> None:
        """Make the links `update.issuelinks` asked for; each raises issuelink_created."""
        for request in links:
            known = set(self.state.links)
            link = make_link(self.state, request, issue.id)
            if link.id in known:
                continue  # already linked: Jira keeps the one link and raises nothing
            source = self.state.issues[link.inward]
            self.emit(Event("issuelink_created", copy.deepcopy(source), actor, link=link))

    def _project_and_type(self, values: dict[str, Any]) -> tuple[Project, Any]:
        ref = values.get("project")
        key = (ref.get("key") or ref.get("id")) if isinstance(ref, dict) else ref
        project = self.state.project_by_ref(str(key)) if key else None
        if project is None:
            raise bad_request(errors={"project": "Specify a valid project ID or key"})
        ref = values.get("issuetype")
        if not isinstance(ref, dict) or not (ref.get("id") or ref.get("name")):
            raise bad_request(errors={"issuetype": "Specify an issue type"})
        issue_type = (
            self.state.issue_types.get(str(ref["id"]))
            if ref.get("id")
            else self.state.issue_type_by_name(str(ref["name"]))
        )
        if issue_type is None or issue_type.id not in project.issue_types:
            raise bad_request(errors={"issuetype": "The issue type selected is invalid."})
        return project, issue_type

    def edit(self, issue: Issue, body: Any, api: str, actor: str) -> None:
        if not isinstance(body, dict):
            raise bad_request(messages=["Request body must be a JSON object."])
        errors: dict[str, str] = {}
        staged = self._apply_fields(
            issue, dict(body.get("fields") or {}), api, errors, creating=False
        )
        links: list[LinkRequest] = []
        update = dict(body.get("update") or {})
        comments = self._apply_update(issue, update, api, errors, staged, links)
        if staged.get("summary", "x") in ("", None):
            errors["summary"] = "You must specify a summary of the issue."
        if errors:
            raise bad_request(errors=errors)
        self._commit(issue, staged, comments, actor)
        self._link(issue, links, actor)
        if "properties" in body and isinstance(body["properties"], list):
            for prop in body["properties"]:
                issue.properties[str(prop.get("key"))] = prop.get("value")
            issue.revision += 1

    def _commit(
        self,
        issue: Issue,
        staged: dict[str, Any],
        comments: list[Any],
        actor: str,
        extra_items: list[ChangeItem] | None = None,
        event_type: str | None = None,
        apply: Callable[[], None] | None = None,
    ) -> None:
        log = self._record(issue, staged, actor)
        if extra_items:
            log = log or ChangeGroup(
                str(self.state.next_id("changelog", 10000)), actor, self.now(), []
            )
            log.items[:0] = extra_items
        if log is None and not comments:
            return
        self._before_change(issue)
        issue.fields.update(staged)
        if apply is not None:
            apply()
        issue.updated = self.now()
        if log is not None:
            issue.changelog.append(log)
        self._after_change(issue)
        if log is not None:
            if event_type is None:
                only_assignee = all(i.field_id == "assignee" for i in log.items)
                event_type = "issue_assigned" if only_assignee else "issue_updated"
            self.emit(Event("jira:issue_updated", copy.deepcopy(issue), actor, event_type, log))
        for body in comments:
            self._add_comment_to(issue, body, actor)

    def delete(self, issue: Issue, actor: str, *, delete_subtasks: bool) -> None:
        subtasks = [i for i in self.state.issues.values() if i.fields.get("parent") == issue.key]
        if subtasks and not delete_subtasks:
            raise bad_request(
                messages=[
                    f"The issue '{issue.key}' has subtasks.  You must "
                    "specify the 'deleteSubtasks' parameter to delete "
                    "this issue and all its subtasks."
                ]
            )
        for sub in subtasks:
            self.delete(sub, actor, delete_subtasks=True)
        self.state.issues.pop(issue.id, None)
        for link_id in [
            k for k, v in self.state.links.items() if issue.id in (v.inward, v.outward)
        ]:
            del self.state.links[link_id]
        self.emit(Event("jira:issue_deleted", copy.deepcopy(issue), actor, "issue_deleted"))

    # -- comments ----------------------------------------------------------------------------
