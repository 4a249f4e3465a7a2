"""The fingerprint settings check of start-up and `config check`, and `tickets refingerprint`
(services.fingerprints), built for a process's container."""

from __future__ import annotations

import structlog

from ticketbridge.bootstrap.container import Container, uow_factory
from ticketbridge.bootstrap.loading import pipeline_settings
from ticketbridge.services.fingerprints import Drift, FingerprintSettings, effective_fields
from ticketbridge.sources import SOURCES

log = structlog.get_logger("ticketbridge")


def fingerprint_settings(container: Container) -> FingerprintSettings:
    configured = pipeline_settings(container.config).fingerprint_fields
    sources = sorted({*SOURCES, *container.config.sources})
    fields = effective_fields(sources, configured)
    return FingerprintSettings(uow_factory(container.database), fields, container.clock)


async def warn_fingerprint_drift(container: Container) -> list[Drift]:
    """Start-up: record the sources' fields where nothing is open under other ones, and warn
    for each source whose open tickets a changed setting would fork."""
    drifts = await fingerprint_settings(container).drift(record=True)
    for drift in drifts:
        log.warning(
            "fingerprint_setting_changed",
            key=f"sources.{drift.source}.fingerprint",
            open_tickets=drift.open_tickets,
            detail=drift.message,
        )
    return drifts
