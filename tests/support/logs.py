"""Everything the process logs, captured through the production logging set-up.

`captured_logs` runs `cli.logs.configure_logging` on a stream the test owns — JSON as `serve`
writes to a pipe, the console as on a terminal (`terminal=True`: no tty faked), or as `dev`
writes — and puts the previous set-up back afterwards.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

import structlog

from ticketbridge.cli.logs import LogWriter, configure_logging

__all__ = ["CapturedLogs", "captured_logs"]

# mode → (json_logs, terminal) as each command passes them: `serve`/`worker` choose by whether
# stderr is a terminal, `dev` asks for the console always.
MODES: dict[str, tuple[bool | None, bool | None]] = {
    "json": (None, False),
    "terminal": (None, True),
    "dev": (False, None),
}


@dataclass
class CapturedLogs:
    stream: TextIO
    writer: LogWriter
    as_json: bool

    def text(self) -> str:
        """All that was logged so far (waits for the writer thread to write it)."""
        self.writer.flush()
        return self.stream.getvalue() if isinstance(self.stream, io.StringIO) else ""

    def events(self) -> list[dict[str, Any]]:
        """The JSON lines as dicts (JSON mode only)."""
        assert self.as_json
        return [json.loads(line) for line in self.text().splitlines() if line.startswith("{")]


@contextmanager
def captured_logs(
    mode: str = "json", level: str = "DEBUG", stream: TextIO | None = None
) -> Iterator[CapturedLogs]:
    json_logs, terminal = MODES[mode]
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, structlog.get_config())
    out = stream if stream is not None else io.StringIO()
    writer = configure_logging(level, json_logs=json_logs, stream=out, terminal=terminal)
    try:
        yield CapturedLogs(out, writer, mode == "json")
    finally:
        writer.stop()
        root.handlers[:], root.level = saved[0], saved[1]
        structlog.configure(**saved[2])
