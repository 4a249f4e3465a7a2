"""What a process runs: a command's coroutine (`run`, on uvloop when installed) and the HTTP
apps over a `Container` (`build_app`: the API and the admin UI; `build_metrics_app`)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from fastapi import FastAPI

from ticketbridge.api import create_app
from ticketbridge.api.app import MetricsExposure, create_metrics_app
from ticketbridge.api.jira_routes import JiraSync
from ticketbridge.bootstrap.container import Container
from ticketbridge.ui import install_ui

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine on uvloop when it is installed (uvicorn[standard] brings it on
    Linux): `serve` then runs uvicorn, the decision loop and the workers on uvloop instead of
    asyncio's pure-Python selector loop. Elsewhere, asyncio's own loop."""
    try:
        import uvloop  # optional: not on every platform
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def build_app(container: Container) -> FastAPI:
    """The HTTP app: the API, plus the admin UI at /ui; `/metrics` as the settings say
    (`TICKETBRIDGE_METRICS_*`)."""
    settings = container.settings
    exposure = MetricsExposure(
        on_api=settings.metrics_port is None, require_key=settings.metrics_require_key
    )
    taking = container.config.sync.mode != "poll"
    sites = {name: site.webhook for name, site in container.sync.sites.items()}
    sync = JiraSync(container.sync.webhook, container.sync.deliveries, taking, sites)
    app = create_app(
        container,
        audit=container.audit,
        trail=container.trail,
        metrics=exposure,
        jira_sync=sync,
        search=container.search,
    )
    install_ui(app, container)
    return app


def build_metrics_app(container: Container) -> FastAPI | None:
    """`/metrics` alone, for `TICKETBRIDGE_METRICS_PORT`; None when it is served by the API."""
    settings = container.settings
    if settings.metrics_port is None:
        return None
    return create_metrics_app(container, require_key=settings.metrics_require_key)
