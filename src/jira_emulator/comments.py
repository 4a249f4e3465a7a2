"""Comments: add, edit, delete (each an event pair: comment_* and jira:issue_updated)."""

from __future__ import annotations

import copy
from typing import Any

from jira_emulator.errors import bad_request
from jira_emulator.fieldvalues import FieldProblem, parse_value
from jira_emulator.model import Comment, Issue
from jira_emulator.service_core import Event, ServiceCore


class CommentOps(ServiceCore):
    def _comment_ops(self, operations: Any, api: str, errors: dict[str, str]) -> list[Any]:
        bodies = []
        for operation in operations if isinstance(operations, list) else []:
            add = operation.get("add") if isinstance(operation, dict) else None
            if not isinstance(add, dict):
                errors["comment"] = "Operation must be an object with one of add"
                continue
            try:
                bodies.append(self._comment_body(add.get("body"), api))
            except FieldProblem as problem:
                errors["comment"] = str(problem)
        return bodies

    def _comment_body(self, raw: Any, api: str) -> Any:
        field = copy.copy(self.state.fields["description"])
        field.name = "Comment"
        if raw is None or raw == "":
            raise FieldProblem("Comment body can not be empty!")
        project = next(iter(self.state.projects.values()))
        return parse_value(self.state, field, raw, api, project)

    def _new_comment(self, body: Any, actor: str) -> Comment:
        now = self.now()
        return Comment(str(self.state.next_id("comment", 10000)), actor, body, now, now, actor)

    def _add_comment_to(self, issue: Issue, body: Any, actor: str) -> Comment:
        self._before_change(issue)
        comment = self._new_comment(body, actor)
        issue.comments.append(comment)
        issue.updated = comment.created
        self._after_change(issue)
        snapshot = copy.deepcopy(issue)
        self.emit(Event("comment_created", snapshot, actor, None, comment=comment))
        self.emit(Event("jira:issue_updated", snapshot, actor, "issue_commented", comment=comment))
        return comment

    def add_comment(self, issue: Issue, body: Any, api: str, actor: str) -> Comment:
        try:
            parsed = self._comment_body(body.get("body") if isinstance(body, dict) else None, api)
        except FieldProblem as problem:
            raise bad_request(errors={"comment": str(problem)}) from None
        return self._add_comment_to(issue, parsed, actor)

    def edit_comment(self, issue: Issue, comment: Comment, body: Any, api: str, actor: str) -> None:
        try:
            parsed = self._comment_body(body.get("body") if isinstance(body, dict) else None, api)
        except FieldProblem as problem:
            raise bad_request(errors={"comment": str(problem)}) from None
        self._before_change(issue)
        comment.body, comment.update_author, comment.updated = parsed, actor, self.now()
        self._after_change(issue)
        snapshot = copy.deepcopy(issue)
        self.emit(Event("comment_updated", snapshot, actor, None, comment=comment))
        self.emit(
            Event("jira:issue_updated", snapshot, actor, "issue_comment_edited", comment=comment)
        )

    def delete_comment(self, issue: Issue, comment: Comment, actor: str) -> None:
        self._before_change(issue)
        issue.comments.remove(comment)
        self._after_change(issue)
        snapshot = copy.deepcopy(issue)
        self.emit(Event("comment_deleted", snapshot, actor, None, comment=comment))
        self.emit(
            Event("jira:issue_updated", snapshot, actor, "issue_comment_deleted", comment=comment)
        )
