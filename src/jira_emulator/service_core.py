"""The core every issue operation shares: time, the index bookkeeping behind the search lag,
and the events webhooks are made from."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jira_emulator.jql.evaluate import normal_form
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
        # Which issues ever carried each label (normal form): a superset a search narrows
        # `labels in (…)` to before it reads any issue, as Jira's index does (reading all of
        # 100,000 issues per marker lookup held every other request up for seconds). Built on
        # first use, then kept up by every change; a replaced state starts it again.
        self._labels: dict[str, set[int]] = {}
        self._labels_for: State | None = None

    # -- time and the index ------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    def _before_change(self, issue: Issue) -> None:
        """Keep the version search sees until this change is indexed (see `search_version`)."""
        if issue.ever_indexed and self.clock() - issue.changed_at >= self.lag():
            snapshot = copy.copy(issue)
            snapshot.indexed = None
            issue.indexed = copy.deepcopy(snapshot)

    def labelled(self, wanted: frozenset[str]) -> list[Issue]:
        """The issues that carry, or carried, one of the labels `wanted`, in store order."""
        if self._labels_for is not self.state:
            self._labels, self._labels_for = {}, self.state
            for issue in self.state.issues.values():
                self._index_labels(issue)
                if issue.indexed is not None:
                    self._index_labels(issue.indexed)
        ids = set().union(*(self._labels.get(label, set()) for label in wanted))
        return [issue for issue in self.state.issues.values() if issue.id in ids]

    def _index_labels(self, version: Issue) -> None:
        for label in version.fields.get("labels") or ():
            self._labels.setdefault(normal_form(label, "labels"), set()).add(version.id)

    def _after_change(self, issue: Issue) -> None:
        if self._labels_for is self.state:
            self._index_labels(issue)
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
