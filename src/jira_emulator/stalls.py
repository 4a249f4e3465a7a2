"""When the served emulator stops answering, and why: `--report-stalls S` (or
JIRA_EMULATOR_REPORT_STALLS=S) writes a line to stderr whenever its event loop was held up S
seconds or more, whenever one of Python's full garbage collections took that long, and
whenever a request took that long to answer (which request held the loop up: its route and
the start of its body, a search's JQL).

The emulator answers every request on one event loop. A loop held up for longer than a
client's deadline and settle delay (issue 20's chaos bench: 5 s) lets a create that arrived
before a marker lookup be made after it; these lines say when that could have happened.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TICK = 0.1  # how often the loop is asked to run the watch
HEAD = 160  # bytes of a slow request's body said with it (a search's JQL)


def _say(text: str) -> None:
    print(f"jira_emulator: {datetime.now(UTC):%H:%M:%S.%f} {text}", file=sys.stderr, flush=True)


async def _watch(threshold: float) -> None:
    while True:
        asked = time.monotonic()
        await asyncio.sleep(TICK)
        late = time.monotonic() - asked - TICK
        if late >= threshold:
            _say(f"event loop held up {late:.2f} s (ending now)")


def _collections(threshold: float) -> Any:
    started = 0.0

    def callback(phase: str, info: dict[str, int]) -> None:
        nonlocal started
        if info.get("generation") != 2:
            return
        if phase == "start":
            started = time.monotonic()
            return
        took = time.monotonic() - started
        if took >= threshold:
            _say(f"full garbage collection took {took:.2f} s ({len(gc.get_objects())} objects)")

    return callback


def reporting(app: ASGIApp, threshold: float) -> ASGIApp:
    """`app`, whose first call starts the watch on the loop that serves it."""
    gc.callbacks.append(_collections(threshold))
    tasks: list[asyncio.Task[None]] = []

    async def watched(scope: Scope, receive: Receive, send: Send) -> None:
        if not tasks:
            tasks.append(asyncio.get_running_loop().create_task(_watch(threshold)))
        started = time.monotonic()
        head = bytearray()

        async def reading() -> Message:
            message = await receive()
            if len(head) < HEAD:
                head.extend(message.get("body", b"")[: HEAD - len(head)])
            return message

        try:
            await app(scope, reading, send)
        finally:
            took = time.monotonic() - started
            if scope["type"] == "http" and took >= threshold:
                what = head.decode(errors="replace").replace("\n", " ")
                _say(f"slow answer: {scope['method']} {scope['path']} took {took:.2f} s: {what}")

    return watched
