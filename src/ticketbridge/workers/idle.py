"""Idling between rounds, shared by the loops: until stopped, woken, or `seconds` pass."""

from __future__ import annotations

import asyncio
import contextlib


async def idle(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
