"""ticketbridge.domain: the pure vocabulary of the pipeline (alerts, tickets, decisions, states)
and the ticket's life (`domain.life`)."""

from ticketbridge.domain.alert import Alert, AlertLink, AlertStatus
from ticketbridge.domain.decision import Decision, DecisionKind, RepeatMode, TicketPolicy, decide
from ticketbridge.domain.fingerprint import (
    DEFAULT_FINGERPRINT_FIELDS,
    derive_fingerprint,
    fingerprint_fields_for,
    scoped_fingerprint,
)
from ticketbridge.domain.grouping import EpicGroup, IssueLink
from ticketbridge.domain.severity import Severity
from ticketbridge.domain.states import AlertState, JobKind, JobState, TicketStatus
from ticketbridge.domain.ticket import Ticket, marker_key

__all__ = [
    "DEFAULT_FINGERPRINT_FIELDS",
    "Alert",
    "AlertLink",
    "AlertState",
    "AlertStatus",
    "Decision",
    "DecisionKind",
    "EpicGroup",
    "IssueLink",
    "JobKind",
    "JobState",
    "RepeatMode",
    "Severity",
    "Ticket",
    "TicketPolicy",
    "TicketStatus",
    "decide",
    "derive_fingerprint",
    "fingerprint_fields_for",
    "marker_key",
    "scoped_fingerprint",
]
