"""The HTTP protocol `serve` runs: uvicorn's (httptools) with read deadlines and a header cap.

uvicorn bounds neither how long a request's headers may take to arrive nor its body, nor how
large its headers may grow: its keep-alive timer is cancelled by every byte received, so a
client sending a byte now and then holds its socket forever (slowloris), and one sending an
endless header line grows the parser's buffers. Here every request must have its headers
within `header_timeout` (counted from the connection, or from the previous response on a
kept-alive one) and at most `max_header_bytes` of them, then its body within `body_timeout`;
otherwise the connection is closed (the application, if it was reading the body, sees a
disconnect). Nothing runs while the application works on a complete request: answering may
take as long as it takes. A body still arriving after an early answer (a 401 before the body
was read) is discarded, as uvicorn does, but only until the body's deadline.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass(frozen=True)
class ReadLimits:
    """How long a request may take to arrive, and how large its headers may be."""

    header_timeout: float = 10.0  # seconds
    body_timeout: float = 60.0  # seconds from the end of the headers: 16 MiB at ~280 KB/s
    max_header_bytes: int = 64 * 1024


def guarded_protocol(limits: ReadLimits) -> type[asyncio.Protocol]:
    """The protocol class for `uvicorn.Config(http=…)`, enforcing `limits`."""
    return type("GuardedHttp", (_GuardedHttp,), {"limits": limits})


Waiting = Literal["headers", "body"]


class _GuardedHttp(HttpToolsProtocol):
    limits: ClassVar[ReadLimits] = ReadLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting: Waiting | None = None
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting == "headers" and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                self._stop()
                self.send_400_response("Request headers too large.")

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._expect("body")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        cycle = self.cycle
        if cycle is not None and cycle.response_complete:  # answered early: next headers now
            self._expect("headers")
        else:  # the application has the whole request: no deadline while it works
            self._stop()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        cycle = self.cycle
        if cycle is None or not cycle.more_body:  # else its body keeps its deadline (discarded)
            self._expect("headers")

    def _expect(self, what: Waiting) -> None:
        self._stop()
        self._waiting = what
        self._header_bytes = 0
        seconds = self.limits.header_timeout if what == "headers" else self.limits.body_timeout
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._waiting = None

    def _expired(self) -> None:
        self._deadline = None
        if self._waiting == "body" and self.flow.read_paused:
            # We stopped reading (the application has not taken what came, or a pipelined
            # request waits its turn): the sender is not the slow one.
            self._expect("body")
            return
        self._waiting = None
        if not self.transport.is_closing():
            self.transport.close()
