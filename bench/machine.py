"""What the machine gives right now, printed before the other benchmarks: the figures below move
with the host (other tenants of a shared VM), and ingest depends on them as much as on our code.

    .venv/bin/python bench/machine.py

- `python loop`: 10 million integer additions (CPU speed for pure Python);
- `thread round trip`: a value to another thread and back through two queues (the wake-up
  latency a thread pays; aiosqlite paid it several times per statement, which is why SQLite
  now runs on the loop's thread, storage.sqlite_inline);
- `sqlite statement`: `SELECT 1` through SQLAlchemy's async engine, as the repositories run
  statements.
"""

from __future__ import annotations

import queue
import tempfile
import threading
import time

from ticketbridge.bootstrap import run as run_command  # uvloop, as `serve` runs
from ticketbridge.storage import Database


def python_loop() -> float:
    started = time.perf_counter()
    total = 0
    for n in range(10_000_000):
        total += n
    return time.perf_counter() - started


def thread_round_trip(count: int = 5000) -> float:
    there: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    back: queue.SimpleQueue[int] = queue.SimpleQueue()

    def echo() -> None:
        while (item := there.get()) is not None:
            back.put(item)

    worker = threading.Thread(target=echo)
    worker.start()
    started = time.perf_counter()
    for n in range(count):
        there.put(n)
        back.get()
    elapsed = time.perf_counter() - started
    there.put(None)
    worker.join()
    return elapsed / count


async def sqlite_statement(count: int = 500) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite+aiosqlite:///{tmp}/machine.db")
        try:
            async with database.engine.connect() as conn:
                started = time.perf_counter()
                for _ in range(count):
                    await conn.exec_driver_sql("SELECT 1")
                return (time.perf_counter() - started) / count
        finally:
            await database.aclose()


def main() -> None:
    print(f"python loop: {python_loop():.3f} s")
    print(f"thread round trip: {thread_round_trip() * 1e6:.0f} µs")
    print(f"sqlite statement: {run_command(sqlite_statement()) * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
