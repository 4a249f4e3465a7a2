"""A GitHub push as kept for the audit trail (SPEC §8): what crosses the storage port.

Pure data shared by `services.ports` and `storage` (which never import each other, nor
`ticketbridge.sources`, where a push is parsed). The GitHub source builds its commits as
`RecordedCommit`s (`sources.Commit` is this class), so they are stored as parsed. The audit
events that come later read these.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RecordedCommit:
    """One commit of a recorded push, with the Jira keys its message mentions (in order)."""

    id: str
    message: str
    author_name: str
    author_email: str | None
    author_username: str | None
    url: str
    timestamp: datetime | None
    jira_keys: tuple[str, ...]


@dataclass(frozen=True)
class RecordedPush:
    """One push delivery. `delivery_id` is GitHub's `X-GitHub-Delivery` (unique: GitHub
    redelivers with the same id); `id` is 0 until stored."""

    id: int
    delivery_id: str
    repository: str
    repository_url: str | None
    ref: str
    before: str
    after: str
    pusher: str | None
    compare_url: str | None
    received_at: datetime
    commits: tuple[RecordedCommit, ...]

    @property
    def content_key(self) -> str:
        """What makes two deliveries the same push: the repository's ref moving from `before`
        to `after`. `delivery_id` is not signed, so a captured push sent again under a new
        id is still this push (SHA-256 hex, so any ref or repository name fits one column)."""
        identity = json.dumps([self.repository, self.ref, self.before, self.after])
        return hashlib.sha256(identity.encode()).hexdigest()

    @property
    def jira_keys(self) -> tuple[str, ...]:
        """Every key any commit mentions, in order of first mention."""
        return tuple(dict.fromkeys(key for commit in self.commits for key in commit.jira_keys))
