"""ticketbridge.domain: the pure vocabulary of the pipeline (alerts, tickets, decisions, states)
and the ticket's life (`domain.life`)."""

from ticketbridge.domain import defaults
from ticketbridge.domain.alert import Alert, AlertLink, AlertStatus
from ticketbridge.domain.decision import (
    Decision,
    DecisionKind,
    RecurAfterDone,
    RepeatMode,
    TicketPolicy,
    decide,
)
from ticketbridge.domain.fingerprint import (
    DEFAULT_FINGERPRINT_FIELDS,
    derive_fingerprint,
    fingerprint_fields_for,
    scoped_fingerprint,
)
from ticketbridge.domain.grouping import EpicGroup, IssueLink
from ticketbridge.domain.route import DEFAULTS_ROUTE, Route, RouteAction
from ticketbridge.domain.severity import Severity
from ticketbridge.domain.states import (
    JIRA_OUTCOMES,
    AlertState,
    Flavor,
    JobKind,
    JobState,
    StatusCategory,
    TicketStatus,
)
from ticketbridge.domain.ticket import Ticket, marker_key

__all__ = [
    "DEFAULTS_ROUTE",
    "DEFAULT_FINGERPRINT_FIELDS",
    "JIRA_OUTCOMES",
    "Alert",
    "AlertLink",
    "AlertState",
    "AlertStatus",
    "Decision",
    "DecisionKind",
    "EpicGroup",
    "Flavor",
    "IssueLink",
    "JobKind",
    "JobState",
    "RecurAfterDone",
    "RepeatMode",
    "Route",
    "RouteAction",
    "Severity",
    "StatusCategory",
    "Ticket",
    "TicketPolicy",
    "TicketStatus",
    "decide",
    "defaults",
    "derive_fingerprint",
    "fingerprint_fields_for",
    "marker_key",
    "scoped_fingerprint",
]
