"""Running processes: `serve` (uvicorn + in-process workers) and `worker` (dispatcher only)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Protocol

import structlog
import uvicorn

from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.bootstrap import (
    Container,
    build_app,
    build_metrics_app,
    heartbeat,
    open_container,
    settle_heap,
    upgrade_database,
    warn_fingerprint_drift,
)
from ticketbridge.cli.guarded_http import ReadLimits, guarded_protocol
from ticketbridge.cli.operations import require_ready
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings

log = structlog.get_logger("ticketbridge")

_NO_JIRA_YET = (
    "no Jira configured: alerts are stored and decided; their tickets are written as soon as "
    "a connection is saved (`ticketbridge config jira`, PUT /v1/integrations/jira)"
)


async def serve(
    settings: Settings,
    *,
    config: Config | None = None,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    on_ready: Callable[[Container], Awaitable[None]] | None = None,
    limits: ReadLimits | None = None,
    stop: asyncio.Event | None = None,
    jira_fallback: StoredConnection | None = None,
) -> None:
    """`ticketbridge serve`: migrations, the API on uvicorn and the in-process workers, until
    SIGINT/SIGTERM (or `stop` is set); then the server drains and the workers finish their
    current job. `limits`: how long a request may take to arrive (`cli.guarded_http`;
    default 10 s for the headers, 60 s for the body). `jira_fallback`: the Jira when none is
    configured or stored (`dev`'s emulator)."""
    await upgrade_database(settings.database_url)
    count = settings.workers if workers is None else workers
    opened = open_container(settings, config, workers=count, jira_fallback=jira_fallback)
    async with opened as container:
        await warn_fingerprint_drift(container)
        await container.defaults.load()  # the defaults saved in the admin UI
        if count and not container.jira.current().configured:
            log.warning("no_jira", detail=_NO_JIRA_YET)
        server = _GracefulServer(
            uvicorn.Config(
                build_app(container),
                host=host or settings.host,
                port=port or settings.port,
                log_config=None,
                access_log=False,
                lifespan="off",
                http=guarded_protocol(limits or ReadLimits()),
                ws="none",  # no websocket routes: an Upgrade is not even considered
            )
        )
        done = asyncio.Event()
        loops = _loops(container, "serve")
        tasks = [asyncio.create_task(loop.run_forever(done)) for loop in loops]
        metrics = _metrics_server(container, settings)
        if metrics is not None:
            tasks.append(asyncio.create_task(metrics.serve()))
        if on_ready is not None:
            tasks.append(asyncio.create_task(_when_started(server, container, on_ready)))
        if stop is not None:
            tasks.append(asyncio.create_task(_exit_when(stop, server)))
        settle_heap()  # the service is built: out of the collector's way
        try:
            await server.serve()
        finally:
            done.set()
            if stop is not None:
                stop.set()  # ends _exit_when
            if metrics is not None:
                metrics.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)


def _metrics_server(container: Container, settings: Settings) -> uvicorn.Server | None:
    """`/metrics` on `TICKETBRIDGE_METRICS_PORT`, beside the API; stopped with it."""
    app = build_metrics_app(container)
    if app is None or settings.metrics_port is None:
        return None
    host = settings.metrics_host or settings.host
    config = uvicorn.Config(
        app, host=host, port=settings.metrics_port, log_config=None, access_log=False,
        lifespan="off",
    )  # fmt: skip
    return _CompanionServer(config)


class _GracefulServer(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, which would kill the
    process before our own cleanup (workers, database, the dev emulator) runs; a stop signal
    is a normal end for a server, so this one just returns."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


class _CompanionServer(uvicorn.Server):
    """A second server in the process: the main one owns the stop signals and stops this one."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _when_started(
    server: uvicorn.Server, container: Container, on_ready: Callable[[Container], Awaitable[None]]
) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.05)
    await on_ready(container)


async def _exit_when(stop: asyncio.Event, server: uvicorn.Server) -> None:
    await stop.wait()
    server.should_exit = True


class _Loop(Protocol):
    """`workers.DecisionLoop`, `workers.Dispatcher` and `workers.Scheduler`, as a process
    runs them."""

    async def run_forever(self, stop: asyncio.Event) -> None: ...


def _loops(container: Container, role: str) -> list[_Loop]:
    """The loops a process runs: the decision loop first, then the outbox dispatchers, then
    the scheduler, and the process's heartbeat."""
    loops: list[_Loop] = list(container.dispatchers)
    if container.decisions is not None:
        loops.insert(0, container.decisions)
    if container.sync.loop is not None:  # Jira's deliveries, applied
        loops.append(container.sync.loop)
    loops.extend(site.loop for site in container.sync.sites.values() if site.loop is not None)
    if container.scheduler is not None:
        loops.append(container.scheduler)
    if container.audit_loop is not None:
        loops.append(container.audit_loop)
    loops.append(container.defaults)  # follows the defaults saved in the admin UI
    loops.append(heartbeat(container, role))
    return loops


async def run_worker(settings: Settings, config: Config | None = None) -> None:
    """`ticketbridge worker`: the decision loop and the outbox dispatcher without the API,
    until SIGINT/SIGTERM (`config`: the loaded ticketbridge.yaml; default: load it)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with open_container(settings, config, workers=1) as container:
        await require_ready(container)  # `serve` migrates; a worker only runs on a migrated one
        await warn_fingerprint_drift(container)
        await container.defaults.load()  # the defaults saved in the admin UI
        if not container.jira.current().configured:
            log.warning("no_jira", detail=_NO_JIRA_YET)
        settle_heap()
        await asyncio.gather(*(each.run_forever(stop) for each in _loops(container, "worker")))
