"""What a ticket gets when `ticketbridge.yaml` says nothing: the one definition of each default.

The configuration models take their defaults from here (`config.models`, `config.integrations`);
the services get every value through the configuration (`PipelineSettings.from_config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

from ticketbridge.domain.decision import RecurAfterDone, RepeatMode
from ticketbridge.domain.severity import Severity
from ticketbridge.domain.states import AlertState, StatusCategory

PROJECT = "OPS"
ISSUE_TYPE = "Task"
MIN_SEVERITY = Severity.MEDIUM
"""Alerts below it are kept without a ticket."""

# Seed 003 (SentinelIQ) and seed 004 (Kushim) translate severities this way.
PRIORITY: Mapping[Severity, str] = MappingProxyType(
    {
        Severity.CRITICAL: "Highest",
        Severity.HIGH: "High",
        Severity.MEDIUM: "Medium",
        Severity.LOW: "Low",
        Severity.INFO: "Lowest",
    }
)
# Seed 001 (Keeptrusts): the gateway's action decides priority and issue type.
PRIORITY_BY_ACTION: Mapping[str, str] = MappingProxyType(
    {"block": "Highest", "escalate": "High", "redact": "Medium", "log": "Low"}
)
ISSUE_TYPE_BY_ACTION: Mapping[str, str] = MappingProxyType({"block": "Bug"})
# Seed 004 (Kushim) SLA table, calendar days from detection.
DUE: Mapping[Severity, timedelta] = MappingProxyType(
    {
        Severity.CRITICAL: timedelta(days=1),
        Severity.HIGH: timedelta(days=7),
        Severity.MEDIUM: timedelta(days=30),
        Severity.LOW: timedelta(days=90),
    }
)

REPEAT: RepeatMode = "digest"
RECUR_AFTER_DONE: RecurAfterDone = "reopen"
REOPEN_WITHIN = timedelta(days=7)
"""A done issue whose alert recurs within this is reopened (`recur_after_done: reopen`)."""
FALSE_POSITIVE_SUPPRESS = timedelta(days=30)
"""An alert recurring this soon after its issue was resolved as a false positive is suppressed."""
ACCEPTED_FOR = timedelta(days=90)
"""An issue resolved as an accepted risk holds its alert this long; the next one re-raises it."""
ACCEPTED_RERAISE: RecurAfterDone = "reopen"
"""How an accepted risk's alert is re-raised after ACCEPTED_FOR: reopen, or a new linked issue."""
DIGEST_INTERVAL = timedelta(minutes=5)
"""The occurrence digest comment is edited at most once per interval (SPEC §4.3)."""
ESCALATE_STALE_AFTER = timedelta(hours=24)
"""`sync.escalate`: an open issue not updated for this long is escalated (seed 000: 24h)."""
ESCALATE_PRIORITY = "Highest"
ESCALATE_LABELS = ("escalated", "urgent")
"""What an escalation sets on the issue unless `sync.escalate` says otherwise."""

# SPEC §6: Jira → alert, statuses by statusCategory.key, resolutions by name.
JIRA_STATUS_CATEGORIES: Mapping[StatusCategory, AlertState] = MappingProxyType(
    {"new": AlertState.OPEN, "indeterminate": AlertState.IN_PROGRESS, "done": AlertState.RESOLVED}
)
JIRA_RESOLUTIONS: Mapping[str, AlertState] = MappingProxyType(
    {"False Positive": AlertState.FALSE_POSITIVE, "Won't Fix": AlertState.ACCEPTED}
)
