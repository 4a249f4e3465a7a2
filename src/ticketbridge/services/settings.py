"""The settings the pipeline services run on, as plain values.

They are built by `bootstrap` from the YAML config (`PipelineSettings.from_config`, its only
constructor: no defaults of its own, so every value comes from `ticketbridge.yaml` or the
config's own defaults) and from the process settings (`WorkerSettings.from_settings`); the
services never read a file or the environment themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from ticketbridge.backoff import Backoff
from ticketbridge.config import Config
from ticketbridge.config.settings import (
    DONE_JOB_RETENTION_DAYS,
    JOB_CRASH_LIMIT,
    JOB_LEASE_SECONDS,
    JOB_SETTLE_SECONDS,
    Settings,
)
from ticketbridge.domain import Severity, TicketPolicy
from ticketbridge.domain.decision import CallbackRule
from ticketbridge.domain.life import Escalation


@dataclass(frozen=True)
class EscalationSettings:
    """`sync.escalate` (and whether `sync.notify.slack_webhook` is set): what a stale issue
    gets, once per `stale_after` without an update from anyone but us."""

    stale_after: timedelta
    priority: str | None
    labels: tuple[str, ...]
    comment: bool
    slack: bool

    @property
    def life(self) -> Escalation:
        return Escalation(self.stale_after, notify=self.slack)


@dataclass(frozen=True)
class PipelineSettings:
    """`defaults`, `dedup` and the `sync` parts that shape what is decided and what jobs write.
    Build it with `from_config`."""

    project: str
    issue_type: str
    labels: tuple[str, ...]
    components: tuple[str, ...]
    assignee: str | None
    fields: Mapping[str, Any]
    min_severity: Severity
    priorities: Mapping[Severity, str]
    due: Mapping[Severity, timedelta]
    policy: TicketPolicy  # the ticket's life: dedup, windows, digest rate, resolutions
    resolve_comment: bool  # sync.on_source_resolved.comment
    fingerprint_fields: Mapping[str, tuple[str, ...]]
    link_type: str  # the link between a recurrence and the done issue before it
    max_batch: int
    escalation: EscalationSettings | None = None  # sync.escalate; None: not configured

    @classmethod
    def from_config(cls, config: Config) -> PipelineSettings:
        """The settings `ticketbridge.yaml` describes (`defaults`, `sync`, `sources`)."""
        defaults, sync = config.defaults, config.sync
        return cls(
            project=defaults.project,
            issue_type=defaults.issue_type,
            labels=tuple(defaults.labels),
            components=tuple(defaults.components),
            assignee=defaults.assignee,
            fields=dict(defaults.fields),
            min_severity=defaults.min_severity,
            priorities=dict(defaults.priority),
            due=dict(defaults.due),
            policy=TicketPolicy(
                repeat=defaults.dedup.repeat,
                recur_after_done=defaults.dedup.recur_after_done,
                reopen_within=defaults.dedup.reopen_within,
                false_positive_suppress=sync.false_positive_suppress,
                digest_interval=defaults.dedup.digest_interval,
                resolve_transition=sync.on_source_resolved.transition,
                resolutions=dict(sync.resolutions),
                status={str(category): state for category, state in sync.status.items()},
                status_ids=dict(sync.status_ids),
                accepted_for=sync.accepted_for,
                accepted_reraise=sync.accepted_reraise,
                recreate_on_delete=sync.recreate_on_delete,
                source_resolutions={
                    **{name: name for name in sync.resolutions},
                    **sync.on_source_resolved.resolutions,
                },
                callbacks=tuple(
                    CallbackRule(c.label, c.source, frozenset(c.on)) for c in config.callbacks
                ),
            ),
            resolve_comment=sync.on_source_resolved.comment,
            fingerprint_fields={
                name: tuple(source.fingerprint)
                for name, source in config.sources.items()
                if source.fingerprint
            },
            link_type="Relates",
            max_batch=1000,
            escalation=_escalation(config),
        )


def _escalation(config: Config) -> EscalationSettings | None:
    escalate = config.sync.escalate
    if escalate is None:
        return None
    return EscalationSettings(
        stale_after=escalate.stale_after,
        priority=escalate.priority,
        labels=tuple(escalate.labels),
        comment=escalate.comment,
        slack=config.sync.notify.slack_webhook is not None,
    )


@dataclass(frozen=True)
class WorkerSettings:
    """How the outbox dispatcher behaves. Defaults suit Jira Cloud."""

    # Much longer than any request's timeout (30 s read): a job whose worker died runs again
    # after this. Shorter only for drills (TICKETBRIDGE_JOB_LEASE_SECONDS).
    lease: timedelta = timedelta(seconds=JOB_LEASE_SECONDS)
    # Wait this long after an unknown create's deadline (or its end) before the marker lookup:
    # Jira's search lag, and a create Jira received still finishing after the client gave up
    # (TICKETBRIDGE_JOB_SETTLE_SECONDS).
    settle_delay: timedelta = timedelta(seconds=JOB_SETTLE_SECONDS)
    # A failed job waits `Backoff(backoff_base, backoff_max)`: Jira may be down for a while.
    backoff_base: timedelta = timedelta(seconds=1)
    backoff_max: timedelta = timedelta(minutes=5)
    batch: int = 50
    idle_sleep: timedelta = timedelta(milliseconds=200)
    bulk_min: int = 2  # at least this many creates for one project go through /issue/bulk
    # A job failing this many times in a row on an unexpected error (a bug) is dead-lettered.
    crash_limit: int = JOB_CRASH_LIMIT
    # Done jobs are deleted after this long (the outbox is a queue; alerts keep the history),
    # by the scheduler's `purge_done_jobs`, once per `purge_every` across all processes.
    done_retention: timedelta = timedelta(days=DONE_JOB_RETENTION_DAYS)
    purge_every: timedelta = timedelta(minutes=10)

    @property
    def backoff(self) -> Backoff:
        """How long a job that failed transiently waits before its next attempt."""
        return Backoff(base=self.backoff_base, cap=self.backoff_max)

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerSettings:
        """The defaults, with the lease, settle delay, crash limit and retention of the process
        settings (TICKETBRIDGE_JOB_LEASE_SECONDS, TICKETBRIDGE_JOB_SETTLE_SECONDS,
        TICKETBRIDGE_JOB_CRASH_LIMIT, TICKETBRIDGE_DONE_JOB_RETENTION_DAYS, read and checked by
        `config.settings`)."""
        return replace(
            cls(),
            lease=timedelta(seconds=settings.job_lease_seconds),
            settle_delay=timedelta(seconds=settings.job_settle_seconds),
            crash_limit=settings.job_crash_limit,
            done_retention=timedelta(days=settings.done_job_retention_days),
        )
