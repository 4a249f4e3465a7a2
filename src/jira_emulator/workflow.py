"""Transitions: which are available, and what doing one changes (status, resolution)."""

from __future__ import annotations

from typing import Any

from jira_emulator.errors import bad_request
from jira_emulator.fieldvalues import FieldProblem
from jira_emulator.issuelinks import LinkRequest
from jira_emulator.model import ChangeItem, Issue, TransitionDef
from jira_emulator.service import IssueService
from jira_emulator.service_core import not_on_screen


def available_transitions(service: IssueService, issue: Issue) -> list[TransitionDef]:
    state = service.state
    current = state.statuses[issue.status].name
    workflow = state.workflow_of(issue.project)
    return [
        t
        for t in workflow.transitions
        if (not t.sources or current in t.sources) and t.to != current
    ]


def _resolution_of(service: IssueService, raw: Any) -> str:
    state = service.state
    if isinstance(raw, dict) and raw.get("id") and str(raw["id"]) in state.resolutions:
        return str(raw["id"])
    if isinstance(raw, dict) and raw.get("name"):
        found = state.resolution_by_name(str(raw["name"]))
        if found is not None:
            return found.id
    raise FieldProblem("Resolution is invalid")


def do_transition(service: IssueService, issue: Issue, body: Any, api: str, actor: str) -> None:
    state = service.state
    if not isinstance(body, dict) or not isinstance(body.get("transition"), dict):
        raise bad_request(messages=["Missing 'transition' identifier"])
    wanted = str(body["transition"].get("id", ""))
    transition = next((t for t in available_transitions(service, issue) if t.id == wanted), None)
    if transition is None:
        raise bad_request(messages=[f"Transition id '{wanted}' is not valid for this issue."])
    target = state.status_by_name(transition.to)
    assert target is not None
    source = state.statuses[issue.status]
    fields = dict(body.get("fields") or {})
    errors: dict[str, str] = {}
    resolution: str | None = issue.resolution
    if "resolution" in fields:
        raw = fields.pop("resolution")
        if target.category != "done":
            errors["resolution"] = not_on_screen("resolution")
        else:
            try:
                resolution = _resolution_of(service, raw)
            except FieldProblem as problem:
                errors["resolution"] = str(problem)
    elif target.category == "done" and source.category != "done":
        resolution = state.resolution_by_name("Done").id  # type: ignore[union-attr]
    if target.category != "done":
        resolution = None
    staged = service._apply_fields(issue, fields, api, errors, creating=False)
    links: list[LinkRequest] = []  # transition screens take issue links too
    update = dict(body.get("update") or {})
    comments = service._apply_update(issue, update, api, errors, staged, links)
    if errors:
        raise bad_request(errors=errors)
    items = [ChangeItem("status", "jira", "status", source.id, source.name, target.id, target.name)]
    if resolution != issue.resolution:
        old = state.resolutions[issue.resolution].name if issue.resolution else None
        new = state.resolutions[resolution].name if resolution else None
        items.insert(
            0,
            ChangeItem("resolution", "jira", "resolution", issue.resolution, old, resolution, new),
        )
    event_type = "issue_generic"
    if target.category == "done" and source.category != "done":
        event_type = "issue_resolved"
    elif source.category == "done" and target.category != "done":
        event_type = "issue_reopened"

    def apply() -> None:
        now = service.now()
        if source.category != target.category:
            issue.status_category_changed = now
        if resolution != issue.resolution:
            issue.resolution_date = now if resolution else None
        issue.status = target.id
        issue.resolution = resolution

    service._commit(
        issue, staged, comments, actor, extra_items=items, event_type=event_type, apply=apply
    )
    service._link(issue, links, actor)
