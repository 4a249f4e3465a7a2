"""What a transition of the ticket's life answers: the ticket after it (`Step`), the Jira
writes it asks for (`PlannedJob`), and what a new ticket takes from its route (`Opening`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ticketbridge.domain.grouping import IssueLink
from ticketbridge.domain.route import Route
from ticketbridge.domain.states import JobKind
from ticketbridge.domain.ticket import Ticket


@dataclass(frozen=True)
class PlannedJob:
    """A Jira write a transition asks for, for the ticket of its `Step`."""

    kind: JobKind
    not_before: datetime | None = None
    # What the job needs besides its alert, added to its payload (a callback's name and state).
    detail: tuple[tuple[str, str], ...] = ()
    # Asked for alerts of this source only (a callback): dropped for an alert of another.
    only_source: str | None = None


@dataclass(frozen=True)
class Step:
    """The fingerprint's ticket after a transition (None: still none), the jobs it asks for,
    and whether the ticket is a new generation (to insert) rather than the current one."""

    ticket: Ticket | None
    jobs: tuple[PlannedJob, ...] = ()
    opened: bool = False


@dataclass(frozen=True)
class Opening:
    """What a fingerprint's new ticket takes from its route: the project, the epic's ticket
    it goes under (grouping), the links its issue gets and the Jira site it is made on."""

    project: str
    parent: Ticket | None = None
    links: tuple[IssueLink, ...] = ()
    connection: str = ""  # the Jira site's name (`Route.connection`)

    @classmethod
    def of(cls, route: Route, parent: Ticket | None = None) -> Opening:
        return cls(route.project, parent, route.links, route.connection)
