"""What an operator's command does to a ticket: a dead job retried (`revive`), the ticket moved
to its new fingerprint (`tickets refingerprint`)."""

from __future__ import annotations

from dataclasses import replace

from ticketbridge.domain.states import TicketStatus
from ticketbridge.domain.ticket import Ticket


def refingerprinted(ticket: Ticket, fingerprint: str) -> Ticket:
    """The open ticket under the key its first alert has with the source's new fingerprint
    fields (`tickets refingerprint`): the next alerts fold into it instead of forking."""
    return replace(ticket, fingerprint=fingerprint)


def revive(ticket: Ticket) -> Ticket:
    """An operator retries the ticket's dead job: it is pending again (linked if it has its
    issue)."""
    if ticket.status is not TicketStatus.DEAD:
        return ticket
    status = TicketStatus.LINKED if ticket.issue_key else TicketStatus.PENDING
    return replace(ticket, status=status)
