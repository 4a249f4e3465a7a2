"""`ticketbridge serve` (API + in-process workers) and `ticketbridge worker` (workers only)."""

from __future__ import annotations

from typing import Annotated

import typer

from ticketbridge import bootstrap
from ticketbridge.cli import server
from ticketbridge.cli.common import translate_errors
from ticketbridge.cli.logs import configure_logging


@translate_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default TICKETBRIDGE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default TICKETBRIDGE_PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=0, help="In-process outbox workers (0: API only).")
    ] = None,
) -> None:
    """Run the HTTP API with in-process workers; applies migrations first."""
    settings = bootstrap.load_settings()
    configure_logging(settings.log_level)
    config = bootstrap.load_configured(settings)
    bootstrap.warn_inactive(config, settings)
    bootstrap.run(server.serve(settings, config=config, host=host, port=port, workers=workers))


@translate_errors
def worker() -> None:
    """Run the outbox dispatcher alone (any number may run against one database)."""
    settings = bootstrap.load_settings()
    configure_logging(settings.log_level)
    config = bootstrap.load_configured(settings)
    bootstrap.warn_inactive(config, settings)
    bootstrap.run(server.run_worker(settings, config))
