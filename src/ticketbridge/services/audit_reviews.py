"""Approvals → HUMAN_REVIEW (SPEC §8, Audital's "Change approval event"): a status transition
into one of `sync.approvals.statuses` (by status name or id), or a comment matching
`sync.approvals.comment`, seen in an `IssueObservation`, is recorded with its reviewer
(display name, email where Jira gives it, account id), the decision, the comment, the time and
the trail's events about the same issue.

Two-way sync calls `record_reviews` in the unit of work that applies the observation, so the
review commits with it. An observation seen twice (a webhook, then reconcile) records each
review once: each carries its `reviewKey` (the issue and the changelog entry or comment).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ticketbridge.domain.audit import EventType, NewEvent, Subject, timestamp_text
from ticketbridge.domain.observed import IssueObservation, ObservedComment, StatusChange
from ticketbridge.services.audit_trail import issue_link
from ticketbridge.services.ports import UnitOfWork

SOURCE = "JIRA"
_RELATED = 100  # at most this many related events named per review


@dataclass(frozen=True)
class ApprovalRules:
    """`sync.approvals`: statuses by name (case-insensitive) or id, and the comment pattern."""

    statuses: tuple[str, ...]
    comment: str

    def approves_status(self, status_id: str, name: str | None) -> bool:
        wanted = {s.casefold() for s in self.statuses}
        return status_id in self.statuses or (name is not None and name.casefold() in wanted)

    def approves_comment(self, text: str) -> bool:
        return re.search(self.comment, text) is not None


@dataclass(frozen=True)
class Reviewer:
    account_id: str | None
    display_name: str | None = None
    email: str | None = None

    def as_data(self) -> dict[str, str | None]:
        return {"displayName": self.display_name, "email": self.email, "accountId": self.account_id}


def review_events(
    observation: IssueObservation,
    rules: ApprovalRules,
    *,
    people: Mapping[str, Reviewer] | None = None,
    status_names: Mapping[str, str] | None = None,
    related: Sequence[str] = (),
) -> list[NewEvent]:
    """The HUMAN_REVIEW events of the approvals `observation` shows. `people`: what Jira said
    of each account (display name, email); `status_names`: status id → name (the observation
    names only the current status); `related`: event ids about the same issue."""
    people = people or {}
    names = dict(status_names or {})
    if observation.status_id is not None and observation.status_name is not None:
        names.setdefault(observation.status_id, observation.status_name)
    reviews: list[NewEvent] = []
    told: set[str] = set()  # comments that went with an approving transition: one review
    for change in observation.transitions:
        name = names.get(change.to_status_id)
        if rules.approves_status(change.to_status_id, name):
            comment = _their_comment(observation.comments, change)
            told |= {comment.comment_id} if comment is not None else set()
            reviews.append(_review(observation, change, name, comment, people, related))
    for comment in observation.comments:
        if comment.comment_id in told or comment.deleted:
            continue
        if rules.approves_comment(comment.text):
            reviews.append(_review(observation, None, None, comment, people, related))
    return reviews


def _their_comment(
    comments: Sequence[ObservedComment], change: StatusChange
) -> ObservedComment | None:
    """What the approver wrote with the transition: their latest comment up to it."""
    theirs = [
        c
        for c in comments
        if c.author_account_id == change.author_account_id and not c.deleted and c.at <= change.at
    ]
    return max(theirs, key=lambda c: c.at) if theirs else None


def _review(
    observation: IssueObservation,
    change: StatusChange | None,
    status: str | None,
    comment: ObservedComment | None,
    people: Mapping[str, Reviewer],
    related: Sequence[str],
) -> NewEvent:
    account = change.author_account_id if change is not None else _author(comment)
    reviewer = people.get(account or "", Reviewer(account))
    at = change.at if change is not None else _at(comment)
    if change is not None:
        key = f"{observation.issue_id}:changelog:{change.changelog_id or change.at.isoformat()}"
    else:
        key = f"{observation.issue_id}:comment:{_comment_id(comment)}"
    payload: dict[str, Any] = {
        "ticketKey": observation.issue_key,
        "reviewType": "CHANGE_APPROVAL",
        "decision": "APPROVED",
        "via": "status" if change is not None else "comment",
        "reviewer": reviewer.as_data(),
        "comment": comment.text if comment is not None else None,
        "reviewedAt": timestamp_text(at),
        "linkedAuditEvents": list(related[:_RELATED]),
        "reviewKey": key,
    }
    if change is not None:
        payload["status"] = {"id": change.to_status_id, "name": status}
    subject = Subject(ticket_key=observation.issue_key)
    links = [issue_link(observation.issue_key)]
    return NewEvent(EventType.HUMAN_REVIEW, SOURCE, at, payload, links, subject=subject)


def _author(comment: ObservedComment | None) -> str | None:
    return comment.author_account_id if comment is not None else None


def _at(comment: ObservedComment | None) -> Any:
    assert comment is not None, "a review is a transition or a comment"
    return comment.at


def _comment_id(comment: ObservedComment | None) -> str:
    assert comment is not None, "a review is a transition or a comment"
    return comment.comment_id


async def record_reviews(
    uow: UnitOfWork,
    observation: IssueObservation,
    rules: ApprovalRules,
    *,
    people: Mapping[str, Reviewer] | None = None,
    status_names: Mapping[str, str] | None = None,
    earlier: Sequence[NewEvent] = (),
) -> list[NewEvent]:
    """Record, in `uow`, the reviews `observation` shows that the trail does not hold yet,
    each naming the trail's other events about the issue; the events recorded. `earlier`:
    reviews recorded in this unit of work already (not in the trail until it commits)."""
    known = await uow.audit.query(
        limit=1000, ticket_key=observation.issue_key, types=[EventType.HUMAN_REVIEW.value]
    )
    said = [e.document()["payload"] for e in known] + [dict(e.payload) for e in earlier]
    seen = {p.get("reviewKey") for p in said}
    related = await uow.audit.query(limit=_RELATED, ticket_key=observation.issue_key)
    ids = [e.id for e in related if e.type is not EventType.HUMAN_REVIEW]
    events = review_events(
        observation, rules, people=people, status_names=status_names, related=ids
    )
    fresh = [e for e in events if e.payload["reviewKey"] not in seen]
    said += [dict(e.payload) for e in fresh]
    fresh = [_with_said_comment(e, said) for e in fresh]
    uow.audit.record(fresh)
    return fresh


def _with_said_comment(event: NewEvent, reviews: Sequence[Mapping[str, Any]]) -> NewEvent:
    """A transition whose delivery carried no comment names what the same reviewer said in an
    approving comment before it (Jira delivers the comment and the transition apart)."""
    payload = event.payload
    if payload["via"] != "status" or payload["comment"] is not None:
        return event
    account = payload["reviewer"]["accountId"]
    earlier = [
        r
        for r in reviews
        if r.get("via") == "comment"
        and r.get("reviewer", {}).get("accountId") == account
        and str(r.get("reviewedAt")) <= payload["reviewedAt"]
    ]
    if not earlier:
        return event
    latest = max(earlier, key=lambda r: str(r.get("reviewedAt")))
    return replace(event, payload={**payload, "comment": latest.get("comment")})
