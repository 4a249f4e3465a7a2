"""Prometheus metrics, one registry per running app (so tests never collide on globals).

The composition root creates one `Metrics` and hands it to the app (HTTP, ingest, outbox gauge)
and to the metering wrapper around the Jira provider (requests, errors, latency).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_JIRA_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.alerts_ingested = Counter(
            "ticketbridge_alerts_ingested",
            "Alerts accepted and committed (duplicates excluded).",
            ["source"],
            registry=r,
        )
        self.alerts_duplicate = Counter(
            "ticketbridge_alerts_duplicate",
            "Alerts received again with a known (source, id); nothing stored.",
            ["source"],
            registry=r,
        )
        self.decisions = Counter(
            "ticketbridge_decisions", "Decisions taken at ingest.", ["decision"], registry=r
        )
        self.jobs = Gauge(
            "ticketbridge_outbox_jobs", "Outbox jobs by state.", ["state"], registry=r
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
        self.http_latency = Histogram(
            "ticketbridge_http_request_seconds",
            "Latency of API requests, by route template and status class.",
            ["method", "route", "status"],
            buckets=_HTTP_BUCKETS,
            registry=r,
        )

    def set_job_counts(self, counts: Mapping[str, int]) -> None:
        for state in ("pending", "running", "done", "dead", *counts):
            self.jobs.labels(state=state).set(counts.get(state, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
