"""Grouping as data (SPEC §7): the epic an issue goes under and the links it gets once created.

Routing renders a route's `group` and `link` templates for an alert into these values; the
decider keeps them on the tickets (`Ticket.parent_id`, `Ticket.group_key`, `Ticket.links`),
committed with the decision, and the outbox acts on them: nothing waits in memory.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EpicGroup:
    """The epic an alert's issue goes under: one per (project, key), created once like any
    ticket (its ticket's `group_key` is `key`)."""

    project: str
    key: str
    summary: str  # the epic's summary, rendered for the alert that first needed the epic

    @property
    def fingerprint(self) -> str:
        """The epic ticket's dedup key (and the source of its create marker): one per group.
        It is only ever compared, never parsed: the ticket carries its project and key."""
        return f"epic:{self.project}:{self.key}"


@dataclass(frozen=True)
class IssueLink:
    """A link the ticket's issue gets once it exists: the issue (the outward, "from" side: it
    *blocks*, it *relates to*) `type` the target — an issue key, or a fingerprint's issue."""

    type: str
    issue: str | None = None
    fingerprint: str | None = None

    def as_data(self) -> dict[str, str | None]:
        return {"type": self.type, "issue": self.issue, "fingerprint": self.fingerprint}

    @classmethod
    def from_data(cls, data: dict[str, str | None]) -> IssueLink:
        return cls(str(data["type"]), data.get("issue"), data.get("fingerprint"))
