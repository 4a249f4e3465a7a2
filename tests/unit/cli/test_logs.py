"""cli.logs in each mode: tracebacks without frame locals, credentials redacted in structlog's
events and in the stdlib's records, and nothing written on the thread that logs."""

from __future__ import annotations

import io
import logging
import logging.config
import threading

import pytest
import structlog
import uvicorn.config

from support.logs import MODES, captured_logs

SECRET = "frame-local-secret-alpha-bravo"  # no secret-like shape: only the missing locals hide it


def fail_holding(secret: str) -> None:
    held = {"secret": secret}
    raise RuntimeError(f"failed with {len(held)} item")


@pytest.mark.parametrize("mode", list(MODES))
def test_tracebacks_have_no_locals_and_credentials_are_redacted(mode: str) -> None:
    # uvicorn run once with its own logging set-up (its handlers, no propagation) in this process
    logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)
    with captured_logs(mode) as logs:
        try:
            fail_holding(SECRET)
        except RuntimeError:
            logging.getLogger("uvicorn.error").exception("GET /v1/sources/x?token=plain-words")
            structlog.get_logger("ticketbridge.api").exception(
                "unhandled_error", authorization="Bearer plain-words-too"
            )
        text = logs.text()
    assert text.count("Traceback (most recent call last)") == 2
    assert text.count(", in fail_holding") == 2  # the frame is there, its locals are not
    assert text.count("RuntimeError: failed with 1 item") == 2
    assert SECRET not in text
    assert "plain-words" not in text
    assert "token=[REDACTED]" in text


class ThreadRecordingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writers: set[str] = set()

    def write(self, text: str) -> int:
        self.writers.add(threading.current_thread().name)
        return super().write(text)


def test_records_are_written_by_the_writer_thread_not_by_the_caller() -> None:
    stream = ThreadRecordingStream()
    with captured_logs("terminal", stream=stream) as logs:
        structlog.get_logger("ticketbridge").warning("jira_not_answering", backlog=3)
        logging.getLogger("uvicorn.error").warning("stdlib too")
        logs.text()
    assert stream.writers
    assert threading.current_thread().name not in stream.writers


def test_uvicorn_records_arrive_even_after_a_set_up_that_silenced_them() -> None:
    """A configuration before ours may have disabled uvicorn's error logger or raised its
    level: its "Exception in ASGI application" records must still reach (redacted) our log."""
    server = logging.getLogger("uvicorn.error")
    server.disabled = True
    server.setLevel(logging.CRITICAL)
    with captured_logs("json") as logs:
        server.error("Exception in ASGI application")
        text = logs.text()
    assert "Exception in ASGI application" in text
