"""The core every issue operation shares: time, the index bookkeeping behind the search lag,
and the events webhooks are made from."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jira_emulator.model import ChangeGroup, Comment, Issue, IssueLink, State


def not_on_screen(field_id: str) -> str:
    return f"Field '{field_id}' cannot be set. It is not on the appropriate screen, or unknown."


@dataclass
class Event:
    """One change, as webhooks see it (`webhookEvent` + `issue_event_type_name`)."""

    webhook_event: str
    issue: Issue  # a copy taken right after the change
    actor: str
    event_type: str | None = None
    changelog: ChangeGroup | None = None
    comment: Comment | None = None
    timestamp: datetime | None = None
    link: IssueLink | None = None  # issuelink_* events (`issue` is the link's source)


class ServiceCore:
    def __init__(self, state: State, clock: Callable[[], float], lag: Callable[[], float]) -> None:
        self.state = state
        self.clock = clock
        self.lag = lag
        self.listeners: list[Callable[[Event], None]] = []
        # Search documents by issue version: (the version, its revision, the document).
        self.documents: dict[int, tuple[Issue, int, dict[str, Any]]] = {}

    # -- time and the index ------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    def _before_change(self, issue: Issue) -> None:
        """Keep the version search sees until this change is indexed (see `search_version`)."""
        if issue.ever_indexed and self.clock() - issue.changed_at >= self.lag():
            snapshot = copy.copy(issue)
            snapshot.indexed = None
            issue.indexed = copy.deepcopy(snapshot)

    def _after_change(self, issue: Issue) -> None:
        issue.revision += 1
        issue.changed_at = self.clock()
        issue.ever_indexed = True
        if self.lag() <= 0:
            issue.indexed = None

    def search_version(self, issue: Issue, reconcile: set[int]) -> Issue | None:
        """The version of `issue` search sees now (None: not indexed yet)."""
        if issue.id in reconcile or self.clock() - issue.changed_at >= self.lag():
            return issue
        return issue.indexed

    def emit(self, event: Event) -> None:
        event.timestamp = event.timestamp or self.now()
        for listener in list(self.listeners):
            listener(event)

    # -- field plumbing ----------------------------------------------------------------------
