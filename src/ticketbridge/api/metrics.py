"""Prometheus metrics, one registry per running app (so tests never collide on globals).

The composition root creates one `Metrics` and hands it to the app (HTTP, ingest, outbox gauge)
and to the metering wrapper around the Jira provider (requests, errors, latency).

Every label whose value a caller controls is kept to known values (`BoundedLabels`): an alert's
`source` to the configured and built-in sources, the HTTP method to the standard ones; anything
else counts as `other`. So the number of time series, and the size and cost of `/metrics`, do
not grow with what arrives (30,000 invented sources once made it 6.6 MiB).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Generic, TypeVar

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ticketbridge.domain.records import ProcessRecord, ScheduleRecord

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OTHER = "other"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MetricT = TypeVar("MetricT", Counter, Gauge, Histogram)


class BoundedLabels(Generic[MetricT]):
    """A labelled metric some of whose labels take outside values: each of those keeps to its
    known values, any other is recorded as `other`. Labels not named are ours and pass as given."""

    def __init__(self, metric: MetricT, **known: Collection[str]) -> None:
        self.metric: MetricT = metric
        self._known = {label: frozenset(values) for label, values in known.items()}

    def labels(self, **values: str) -> MetricT:
        for label, allowed in self._known.items():
            if values[label] not in allowed:
                values[label] = OTHER
        return self.metric.labels(**values)


_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_JIRA_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """`sources`: the names an alert's `source` is counted under (the configured and built-in
    ones); an alert of any other source counts as `other`."""

    def __init__(self, sources: Collection[str] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.alerts_ingested = BoundedLabels(
            Counter(
                "ticketbridge_alerts_ingested",
                "Alerts accepted and committed (duplicates excluded), by source.",
                ["source"],
                registry=r,
            ),
            source=sources,
        )
        self.alerts_duplicate = BoundedLabels(
            Counter(
                "ticketbridge_alerts_duplicate",
                "Alerts received again with a known (source, id); nothing stored.",
                ["source"],
                registry=r,
            ),
            source=sources,
        )
        self.decisions = Counter(
            "ticketbridge_decisions",
            "Decisions taken on accepted alerts.",
            ["decision"],
            registry=r,
        )
        self.jobs = Gauge(
            "ticketbridge_outbox_jobs", "Outbox jobs by state.", ["state"], registry=r
        )
        self.schedule_last_run = Gauge(
            "ticketbridge_schedule_last_run_timestamp_seconds",
            "When each periodic job's last run ended (Unix time; 0: never).",
            ["job"],
            registry=r,
        )
        self.schedule_last_ok = Gauge(
            "ticketbridge_schedule_last_run_ok",
            "Whether each periodic job's last run succeeded (1) or failed (0).",
            ["job"],
            registry=r,
        )
        self.schedule_runs = Gauge(
            "ticketbridge_schedule_runs", "Runs of each periodic job so far.", ["job"], registry=r
        )
        # The fleet (workers/heartbeat.py): each process's heartbeat, the backlog's oldest job.
        self.process_heartbeat_age = Gauge(
            "ticketbridge_process_heartbeat_age_seconds",
            "Seconds since each serve/worker process's last heartbeat.",
            ["process", "role"],
            registry=r,
        )
        self.outbox_oldest_pending_age = Gauge(
            "ticketbridge_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox job not done yet (0: none).",
            registry=r,
        )
        self.jira_requests = Counter(
            "ticketbridge_jira_requests", "Calls to Jira.", ["operation"], registry=r
        )
        self.jira_errors = Counter(
            "ticketbridge_jira_errors", "Failed calls to Jira.", ["operation", "error"], registry=r
        )
        self.jira_latency = Histogram(
            "ticketbridge_jira_request_seconds",
            "Latency of calls to Jira.",
            ["operation"],
            buckets=_JIRA_BUCKETS,
            registry=r,
        )
        # Two-way sync: webhook deliveries refused before anything is stored (by why), and
        # what applying the stored ones did (applied, stale, echo, unknown_issue, …).
        self.jira_webhooks_refused = Counter(
            "ticketbridge_jira_webhooks_refused",
            "Jira webhook deliveries refused (401), by reason; nothing stored.",
            ["reason"],
            registry=r,
        )
        self.jira_deliveries = Counter(
            "ticketbridge_jira_deliveries",
            "Jira webhook deliveries applied, by outcome.",
            ["outcome"],
            registry=r,
        )
        self.http_latency = BoundedLabels(
            Histogram(
                "ticketbridge_http_request_seconds",
                "Latency of API requests, by route template and status class.",
                ["method", "route", "status"],
                buckets=_HTTP_BUCKETS,
                registry=r,
            ),
            method=HTTP_METHODS,
        )

    def set_schedules(self, rows: Sequence[ScheduleRecord]) -> None:
        """Each periodic job's last run, as its row in the database has it (any process)."""
        for row in rows:
            finished = row.last_finished_at.timestamp() if row.last_finished_at else 0
            self.schedule_last_run.labels(job=row.name).set(finished)
            self.schedule_last_ok.labels(job=row.name).set(1 if row.last_ok else 0)
            self.schedule_runs.labels(job=row.name).set(row.runs)

    def set_fleet(
        self, processes: Sequence[ProcessRecord], oldest_pending: datetime | None, now: datetime
    ) -> None:
        """The heartbeat rows as the database has them now (a process gone is dropped)."""
        self.process_heartbeat_age.clear()
        for process in processes:
            age = (now - process.heartbeat_at).total_seconds()
            self.process_heartbeat_age.labels(process=process.name, role=process.role).set(age)
        waited = (now - oldest_pending).total_seconds() if oldest_pending else 0.0
        self.outbox_oldest_pending_age.set(max(waited, 0.0))

    def set_job_counts(self, counts: Mapping[str, int]) -> None:
        for state in ("pending", "running", "done", "dead", *counts):
            self.jobs.labels(state=state).set(counts.get(state, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MeteredTransport(httpx.AsyncBaseTransport):
    """Counts and times every HTTP request to Jira (retries included), by endpoint class.

    Wraps the transport the Jira client sends through, so the numbers are real requests on the
    wire, not calls of the provider port.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        operation = f"{request.method} {endpoint_class(request.url.path)}"
        self._metrics.jira_requests.labels(operation=operation).inc()
        started = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.HTTPError as exc:
            self._metrics.jira_errors.labels(operation=operation, error=type(exc).__name__).inc()
            raise
        finally:
            self._metrics.jira_latency.labels(operation=operation).observe(
                time.perf_counter() - started
            )
        if response.status_code >= 400:
            self._metrics.jira_errors.labels(
                operation=operation, error=str(response.status_code)
            ).inc()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def endpoint_class(path: str) -> str:
    """`/rest/api/3/issue/OPS-12/comment/10001` → `/rest/api/3/issue/{id}/comment/{id}`: keeps
    the label set small (issue keys and ids would make a time series per issue)."""
    parts = path.split("/")
    return "/".join(
        "{id}" if any(ch.isdigit() for ch in part) and i > 4 else part
        for i, part in enumerate(parts)
    )
