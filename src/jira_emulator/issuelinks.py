"""Issue links made by an issue's own create or edit (`update.issuelinks`), and the
`issuelink_created` / `issuelink_deleted` webhook payloads.

Direction, as Jira shows it on the issue being created or edited: `{"add": {"type": {"name":
"Blocks"}, "outwardIssue": {"key": "OPS-2"}}}` on OPS-1 means "OPS-1 blocks OPS-2" (OPS-1 is the
link's source), `inwardIssue` the reverse. The emulator stores a link's source as
`IssueLink.inward` (the issue whose view lists the other as `outwardIssue`, see render_issue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jira_emulator.errors import ISSUE_NOT_FOUND
from jira_emulator.fieldvalues import FieldProblem
from jira_emulator.model import IssueLink, LinkType, State


@dataclass(frozen=True)
class LinkRequest:
    """One link to make once the issue exists (it has no id while being created)."""

    type_id: str
    other: int  # the other issue's id
    issue_is_source: bool  # True: "<this issue> <outward> <other>"


def _link_type(state: State, wanted: Any) -> LinkType:
    if not isinstance(wanted, dict):
        raise FieldProblem("Link type is required.")
    for link_type in state.link_types.values():
        if link_type.id == str(wanted.get("id")) or wanted.get("name") in (
            link_type.name,
            link_type.inward,
            link_type.outward,
        ):
            return link_type
    raise FieldProblem(f"No issue link type with name '{wanted.get('name')}' found.")


def _one(state: State, operation: Any) -> LinkRequest:
    if not isinstance(operation, dict) or set(operation) != {"add"}:
        raise FieldProblem("Operation must be an object with 'add' (issue links are only added)")
    body = operation["add"]
    if not isinstance(body, dict):
        raise FieldProblem("Operation value must be an object with type and an issue")
    link_type = _link_type(state, body.get("type"))
    sides = [side for side in ("outwardIssue", "inwardIssue") if body.get(side) is not None]
    if len(sides) != 1:
        raise FieldProblem("Specify exactly one of outwardIssue and inwardIssue.")
    ref = body[sides[0]]
    key = (ref.get("key") or ref.get("id")) if isinstance(ref, dict) else None
    other = state.issue_by_ref(str(key)) if key else None
    if other is None:
        raise FieldProblem(ISSUE_NOT_FOUND)
    return LinkRequest(link_type.id, other.id, issue_is_source=sides[0] == "outwardIssue")


def parse_link_operations(state: State, operations: Any) -> list[LinkRequest]:
    """The links `update.issuelinks` asks for, or FieldProblem with Jira's message."""
    if not isinstance(operations, list):
        raise FieldProblem("Operation value must be an array of operations")
    return [_one(state, operation) for operation in operations]


def make_link(state: State, request: LinkRequest, issue_id: int) -> IssueLink:
    """Store the link (an identical one already there is kept, as Jira does)."""
    source, destination = (
        (issue_id, request.other) if request.issue_is_source else (request.other, issue_id)
    )
    for link in state.links.values():
        if (link.type_id, link.inward, link.outward) == (request.type_id, source, destination):
            return link
    link_id = str(state.next_id("issuelink", 10000))
    link = IssueLink(link_id, request.type_id, source, destination)
    state.links[link_id] = link
    return link


def link_payload(state: State, link: IssueLink) -> dict[str, Any]:
    """`issueLink` of an issuelink_* delivery (ids as numbers, as real deliveries send them)."""
    link_type = state.link_types[link.type_id]
    return {
        "id": int(link.id),
        "sourceIssueId": link.inward,
        "destinationIssueId": link.outward,
        "issueLinkType": {
            "id": int(link_type.id),
            "name": link_type.name,
            "outwardName": link_type.outward,
            "inwardName": link_type.inward,
            "isSubTaskLinkType": False,
            "isSystemLinkType": False,
        },
        "systemLink": False,
    }
