"""Reconcile's records (two-way sync, SPEC §6): how far it got on a site, and what it tracks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ReconcileMark:
    """How far reconcile got on one Jira site (stored: `reconcile_marks`, migration 0009)."""

    site: str
    watermark: datetime | None = None  # Jira's clock when the last run searched
    swept_at: datetime | None = None  # the last existence sweep
    # Issues already observed at their `updated` inside the margin: the next run's search finds
    # them again (its window overlaps this one's), and they are not fetched twice.
    recent: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Tracked:
    """The issues we track on a site: their projects (the search's scope) and ids → keys."""

    projects: tuple[str, ...]
    issues: Mapping[str, str]
