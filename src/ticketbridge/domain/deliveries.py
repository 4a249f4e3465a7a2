"""A Jira webhook delivery as we keep it (two-way sync, SPEC §6): stored raw and committed
before Jira gets its 200, applied later by the delivery loop, and listed in the delivery log
(`GET /v1/jira/deliveries`, `ticketbridge sync deliveries`) with what it did."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

SignatureVerdict = Literal["sha256", "sha384", "sha512", "token"]
"""How the delivery proved itself: the `X-Hub-Signature` method that matched, or `?token=`."""


class DeliveryOutcome(StrEnum):
    APPLIED = "applied"  # it moved the ticket (and so its alerts)
    UNCHANGED = "unchanged"  # newest of its issue, nothing to change (its watermark recorded)
    STALE = "stale"  # older than what the ticket already has: kept, never applied
    ECHO = "echo"  # caused by our own account: no alert state moved, nothing triggered
    UNKNOWN_ISSUE = "unknown_issue"  # not one of our issues: ignored
    IGNORED = "ignored"  # an event two-way sync does not use
    REJECTED = "rejected"  # authenticated but unusable (the reason says why)


@dataclass(frozen=True)
class DeliveryResult:
    """What applying one delivery did, as the delivery log shows it."""

    outcome: DeliveryOutcome
    event: str | None = None
    reason: str | None = None
    issue_key: str | None = None
    ticket_id: int | None = None


@dataclass(frozen=True)
class JiraDelivery:
    identifier: str  # x-atlassian-webhook-identifier, else `sha256:<hex of the raw body>`
    received_at: datetime
    signature: SignatureVerdict
    body: bytes = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    retry: int = 0  # x-atlassian-webhook-retry
    flow: str | None = None  # x-atlassian-webhook-flow (Primary / Secondary)
    id: int | None = None
    applied: bool = False
    applied_at: datetime | None = None
    attempts: int = 0  # applying it failed this often (a GET for a thin delivery, say)
    event: str | None = None
    outcome: DeliveryOutcome | None = None
    reason: str | None = None
    issue_key: str | None = None
    ticket_id: int | None = None
    alert: str | None = None  # "source/id" of the ticket's latest alert, as the log reads it
    connection: str = ""  # the Jira site (`jira.sites`) it came from; "": the default site
