"""A process's place in the fleet: its heartbeat (workers/heartbeat.py), named as the other
loops' lease owners are (host, pid, container)."""

from __future__ import annotations

import os
import socket

from ticketbridge.bootstrap.container import Container, uow_factory
from ticketbridge.domain.records import ProcessRecord
from ticketbridge.workers import Heartbeat


def heartbeat(container: Container, role: str) -> Heartbeat:
    """The heartbeat loop of a `serve` or `worker` (`role`) process running `container`."""
    host, pid, now = socket.gethostname(), os.getpid(), container.clock()
    process = ProcessRecord(
        name=f"{host}:{pid}:{id(container):x}", role=role, host=host, pid=pid,
        started_at=now, heartbeat_at=now,
    )  # fmt: skip
    return Heartbeat(uow_factory(container.database), container.clock, process)
