"""The Jira emulator served over real HTTP by uvicorn in a thread, its state at hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from jira_emulator import Emulator
from support.processes import free_port


@contextmanager
def served(flavor: str = "cloud", **options: object) -> Iterator[Emulator]:
    """An emulator at http://127.0.0.1:<free port> (its `base_url`), until the block ends."""
    port = free_port()
    emulator = Emulator(flavor=flavor, base_url=f"http://127.0.0.1:{port}", **options)  # type: ignore[arg-type]
    server = uvicorn.Server(
        uvicorn.Config(emulator.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield emulator
    finally:
        server.should_exit = True
        thread.join(timeout=5)
