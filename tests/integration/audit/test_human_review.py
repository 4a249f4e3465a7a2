"""Approvals → HUMAN_REVIEW, from the emulator's real webhook deliveries: an approver comments
and moves the issue into Approved; the observation those deliveries make (built here as
two-way sync's parser will) gives Audital's HUMAN_REVIEW event, recorded once however often
it is observed, naming the trail's events about the issue."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from jira_emulator import Emulator
from ticketbridge.domain.audit import EventType, NewEvent, Subject
from ticketbridge.domain.observed import (
    IssueObservation,
    ObservedComment,
    ObservedVia,
    StatusChange,
)
from ticketbridge.services.audit_reviews import (
    ApprovalRules,
    Reviewer,
    record_reviews,
    review_events,
)
from ticketbridge.storage import Database

SEED = {
    "workflows": [
        {
            "name": "change",
            "initial": "Open",
            "statuses": [
                {"name": "Open", "category": "new"},
                {"name": "Approved", "category": "indeterminate"},
                {"name": "Closed", "category": "done"},
            ],
            "transitions": [
                {"id": "11", "name": "Approve", "to": "Approved", "from": ["Open"]},
                {"id": "21", "name": "Close", "to": "Closed"},
            ],
        }
    ],
    "addProjects": [
        {"key": "CHG", "name": "Changes", "workflow": "change", "issueTypes": ["Task"]}
    ],
    "webhooks": [
        {"name": "tb", "url": "http://tb.test/v1/jira/webhook", "events": ["jira:issue_updated"]}
    ],
}
RULES = ApprovalRules(statuses=("Approved",), comment=r"(?i)^\s*approved\b")
SAID = "Approved. Change is within approved governance boundary; back-tested on 6 months."


def _adf(text: str) -> dict[str, Any]:
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


async def _deliveries(*, transition: bool, comment: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []

    def receive(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content))
        return httpx.Response(200)

    emulator = Emulator(flavor="cloud", seed=SEED, webhook_transport=httpx.MockTransport(receive))
    emulator.webhooks.backoff = 0.0
    async with emulator.client() as jira:
        fields = {"project": {"key": "CHG"}, "issuetype": {"name": "Task"}, "summary": "threshold"}
        key = (await jira.post("/rest/api/3/issue", json={"fields": fields})).json()["key"]
        await jira.post(f"/rest/api/3/issue/{key}/comment", json={"body": _adf(comment)})
        if transition:
            await jira.post(
                f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": "11"}}
            )
    await emulator.drain_webhooks()
    return received


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def _observation(deliveries: list[dict[str, Any]]) -> tuple[IssueObservation, dict[str, Reviewer]]:
    """What the deliveries say of the issue, as IssueObservation (the fields reviews use),
    and who the accounts are (the payloads' user objects)."""
    transitions: list[StatusChange] = []
    comments: dict[str, ObservedComment] = {}
    people: dict[str, Reviewer] = {}
    for payload in deliveries:
        user = payload.get("user") or {}
        people[user["accountId"]] = Reviewer(
            user["accountId"], user.get("displayName"), user.get("emailAddress")
        )
        updated = _moment(payload["issue"]["fields"]["updated"])
        for item in (payload.get("changelog") or {}).get("items", []):
            if item["field"] == "status":
                changelog = int(payload["changelog"]["id"])
                transitions.append(
                    StatusChange(
                        updated, changelog, item["from"], item["to"], None, user["accountId"]
                    )
                )
        if "comment" in payload:
            c = payload["comment"]
            author = c["author"]["accountId"]
            comments[c["id"]] = ObservedComment(c["id"], _moment(c["created"]), author, c["body"])
    last = deliveries[-1]["issue"]
    status = last["fields"]["status"]
    observation = IssueObservation(
        issue_id=last["id"],
        issue_key=last["key"],
        updated=_moment(last["fields"]["updated"]),
        via=ObservedVia.WEBHOOK,
        status_id=status["id"],
        status_name=status["name"],
        transitions=tuple(transitions),
        comments=tuple(comments.values()),
    )
    return observation, people


async def test_an_approving_transition_is_audital_s_human_review() -> None:
    observation, people = _observation(await _deliveries(transition=True, comment=SAID))
    [review] = review_events(observation, RULES, people=people, related=["evt_abc"])
    assert (review.type, review.source) == (EventType.HUMAN_REVIEW, "JIRA")
    payload = review.payload
    assert payload["ticketKey"] == observation.issue_key
    assert (payload["reviewType"], payload["decision"], payload["via"]) == (
        "CHANGE_APPROVAL",
        "APPROVED",
        "status",
    )
    assert payload["reviewer"]["displayName"] == "Emulator Admin"
    assert payload["reviewer"]["email"] == "admin@example.com"
    assert payload["reviewer"]["accountId"].startswith("712020:")
    assert payload["comment"] == SAID  # what the approver wrote with it; not a second review
    assert payload["status"]["name"] == "Approved"
    assert payload["linkedAuditEvents"] == ["evt_abc"]
    by_id = ApprovalRules(statuses=(payload["status"]["id"],), comment=r"^never$")
    assert len(review_events(observation, by_id, people=people)) == 1


async def test_an_approving_comment_alone_is_a_review_and_others_are_not() -> None:
    observation, people = _observation(await _deliveries(transition=False, comment=SAID))
    [review] = review_events(observation, RULES, people=people)
    assert (review.payload["via"], review.payload["comment"]) == ("comment", SAID)
    other, _ = _observation(await _deliveries(transition=False, comment="not approved yet"))
    assert review_events(other, RULES, people=people) == []


async def test_recorded_once_and_linked_to_the_issue_s_events(
    database: Database, tmp_path: Path
) -> None:
    observation, people = _observation(await _deliveries(transition=True, comment=SAID))
    change = NewEvent(
        EventType.CONFIG_CHANGE,
        "GITHUB",
        observation.updated,
        {"commit": {"sha": "a1b2c3d4"}},
        subject=Subject(ticket_key=observation.issue_key),
    )
    async with database.unit_of_work() as uow:
        uow.audit.record([change])
        await uow.commit()
    for _ in range(2):  # the webhook, then reconcile: one review
        async with database.unit_of_work() as uow:
            await record_reviews(uow, observation, RULES, people=people)
            await uow.commit()
    async with database.unit_of_work() as uow:
        reviews = await uow.audit.query(limit=10, types=["HUMAN_REVIEW"])
    [review] = reviews
    assert review.document()["payload"]["linkedAuditEvents"] == [change.id]
    assert review.subject.ticket_key == observation.issue_key
