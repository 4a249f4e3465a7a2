"""The in-process httpx transport: the ASGI app, with a socket's failure modes.

A connection dropped after the write committed (emu-aux's `faults.DroppedConnection`) reaches
the client as `httpx.RemoteProtocolError`, as over a real socket; a hanging request is cut by
the client's own read timeout (`httpx.ReadTimeout`), which an in-process transport would
otherwise never apply.
"""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import ASGIApp

from jira_emulator.faults import DroppedConnection

#: Exception types that mean "the server closed the connection without an answer".
DROPPED_ERRORS: tuple[type[BaseException], ...] = (DroppedConnection, ConnectionResetError)


class EmulatorTransport(httpx.AsyncBaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        read = timeouts.get("read")
        try:
            if read is None:
                return await self._inner.handle_async_request(request)
            return await asyncio.wait_for(self._inner.handle_async_request(request), read)
        except TimeoutError:
            raise httpx.ReadTimeout(
                "The emulator did not answer in time", request=request
            ) from None
        except DROPPED_ERRORS as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()
