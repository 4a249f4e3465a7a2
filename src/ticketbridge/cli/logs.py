"""Logging: structlog for our logs and the stdlib's (uvicorn, alembic), set up by each command.

What every mode guarantees (issue 11: a 500 once wrote a source's HMAC secret into the log):

- **No frame locals.** Tracebacks are the stdlib's plain text (file, line, code), in JSON and on
  a terminal alike; rich's traceback with locals printed whatever the failing frames held.
- **Redacted last.** Each event, structlog's and the stdlib's (uvicorn's "Exception in ASGI
  application"), passes `config.redact` after its traceback is formatted: fields named like a
  credential are blanked, and credential-shaped text (headers, bearer tokens, `token=`, API
  keys, Jira tokens, Fernet keys, signatures) is replaced, before and after rendering.
- **Never rendered on the caller's thread.** A log call only queues the record; one writer
  thread formats and writes it. A traceback, or a stderr nobody reads, cannot stall the event
  loop (`/healthz` answers while a 500 is being logged).
"""

from __future__ import annotations

import atexit
import logging
import queue
import sys
from logging.handlers import QueueHandler, QueueListener
from typing import Any, TextIO

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from ticketbridge.config.redact import redact_event, redact_text


def configure_logging(
    level: str = "INFO",
    *,
    json_logs: bool | None = None,
    stream: TextIO | None = None,
    terminal: bool | None = None,
) -> LogWriter:
    """Log to `stream` (stderr): JSON unless it is a terminal (`terminal`, when given, says
    whether it is), or as `json_logs` says. Returns the writer (`flush()` / `stop()`)."""
    out = stream if stream is not None else sys.stderr
    on_terminal = out.isatty() if terminal is None else terminal
    as_json = not on_terminal if json_logs is None else json_logs
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            _capture_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(_formatter(shared, as_json=as_json, colors=on_terminal))
    writer = LogWriter(handler)
    _route_stdlib_to(writer, level)
    return writer


def _formatter(
    shared: list[Processor], *, as_json: bool, colors: bool
) -> structlog.stdlib.ProcessorFormatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=colors)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Plain text, no locals; the console renderer prints this string as it is.
            structlog.processors.format_exc_info,
            _redact_event,
            _RedactedRendering(renderer),
        ],
    )


def _route_stdlib_to(writer: LogWriter, level: str) -> None:
    """Every record — ours through structlog, the libraries' — to `writer`, and only there."""
    root = logging.getLogger()
    for previous in root.handlers:
        if isinstance(previous, _Enqueue):
            previous.writer.stop()
    root.handlers[:] = [_Enqueue(writer)]
    root.setLevel(level)
    # uvicorn's own logging set-up (when something ran it with its defaults) would write its
    # records itself, unredacted: they come through ours instead.
    # A dictConfig before us may also have disabled them or raised their level: undone too.
    for server in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(server)
        logger.handlers.clear()
        logger.propagate = True
        logger.disabled = False
        logger.setLevel(logging.NOTSET)
    # Per-request lines of the HTTP client and migration chatter drown what matters.
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class LogWriter:
    """The thread that formats and writes records, fed through a queue by every log call."""

    def __init__(self, handler: logging.Handler) -> None:
        self.queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self._listener = QueueListener(self.queue, handler)
        self._running = False
        self._start()

    def flush(self) -> None:
        """Write everything queued so far (blocks until written)."""
        self.stop()
        self._start()

    def stop(self) -> None:
        """Write everything queued, then end the thread (idempotent)."""
        if self._running:  # QueueListener.stop fails when not started
            atexit.unregister(self.stop)
            self._listener.stop()
            self._running = False

    def _start(self) -> None:
        self._listener.start()
        self._running = True
        atexit.register(self.stop)  # what is queued at exit is still written


class _Enqueue(QueueHandler):
    """The root handler: hands records to the writer thread, unformatted."""

    def __init__(self, writer: LogWriter) -> None:
        super().__init__(writer.queue)
        self.writer = writer

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # QueueHandler.prepare would format here, on the caller's thread: exactly what must not
        # happen. Only a stdlib record's message is fixed now, while its arguments still hold
        # the values they had (structlog's records carry their event dict, already a copy).
        if not isinstance(record.msg, dict):
            record.msg = record.getMessage()
            record.args = None
        return record


def _capture_exc_info(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """`log.exception(...)` means "the exception being handled": resolved here, on the caller's
    thread, since the writer thread handles none."""
    if event.get("exc_info") is True:
        event["exc_info"] = sys.exc_info()
    return event


def _redact_event(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    return redact_event(event)


class _RedactedRendering:
    """The renderer, its output scrubbed once more (values rendered through their repr)."""

    def __init__(self, renderer: Processor) -> None:
        self._renderer = renderer

    def __call__(self, logger: WrappedLogger, method: str, event: EventDict) -> str:
        rendered: Any = self._renderer(logger, method, event)
        return redact_text(str(rendered))
