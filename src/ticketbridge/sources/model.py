"""What a GitHub push becomes: not an alert, but commits and the Jira keys they mention, for
the audit trail (SPEC §8). The alert sources produce `ticketbridge.domain.Alert`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ticketbridge.domain.pushes import RecordedCommit

Commit = RecordedCommit
"""One commit of a push, with the Jira keys its message mentions (in order, no repeats): the
record `domain.pushes` defines, so the audit intake stores what the parser made as it is."""


@dataclass(frozen=True)
class PushEvent:
    """A GitHub push: where it went, who pushed, and its commits (oldest first, as GitHub sends)."""

    repository: str
    repository_url: str | None
    ref: str
    before: str
    after: str
    pusher: str | None
    compare_url: str | None
    commits: tuple[Commit, ...]
    received_at: datetime
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def jira_keys(self) -> tuple[str, ...]:
        """Every key mentioned by any commit, in order of first mention."""
        return tuple(dict.fromkeys(key for commit in self.commits for key in commit.jira_keys))
