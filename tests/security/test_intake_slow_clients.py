"""Clients that take their time, or send without end, against a real `serve` (uvicorn, the
protocol of `cli.guarded_http`) on loopback, over real sockets (issue 11, item 2).

Before: 300 sockets trickling headers stayed open indefinitely, and a 500 MB chunked POST
without credentials was read to its end (1.1 GB resident) before the 401. The deadlines are
configured small here; what is asserted is what the server did (closed the socket, answered
before the client finished sending), never how long it took; the waits around are generous
bounds so that a server that never acts fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from ticketbridge.cli.guarded_http import ReadLimits
from ticketbridge.cli.server import serve
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings

AM_TOKEN = "alertmanager-token"
KEEPTRUSTS_SECRET = "keeptrusts-signing-secret"
QUICK = ReadLimits(header_timeout=0.5, body_timeout=0.5, max_header_bytes=16 * 1024)
PATIENT = ReadLimits(header_timeout=30, body_timeout=30)  # for bodies sent at full speed
NEVER = 60.0  # seconds: the bound on waiting for what must happen much sooner
MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def serving(tmp_path: Path, limits: ReadLimits) -> AsyncIterator[int]:
    """`ticketbridge serve` in this event loop (API only), on a free loopback port."""
    port = _free_port()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}", data_dir=tmp_path, port=port
    )
    sources = {"alertmanager": {"token": AM_TOKEN}, "keeptrusts": {"secret": KEEPTRUSTS_SECRET}}
    config = Config.model_validate({"sources": sources})
    ready, stop = asyncio.Event(), asyncio.Event()

    async def on_ready(_container: object) -> None:
        ready.set()

    server = asyncio.create_task(
        serve(settings, config=config, workers=0, on_ready=on_ready, limits=limits, stop=stop)
    )
    started = asyncio.create_task(ready.wait())
    await asyncio.wait({server, started}, timeout=NEVER, return_when=asyncio.FIRST_COMPLETED)
    assert ready.is_set(), "the server did not start"
    try:
        yield port
    finally:
        stop.set()
        await asyncio.wait_for(server, NEVER)


async def closed_by_server(port: int, first: bytes, drip: bytes) -> bytes:
    """Send `first`, then `drip` whenever the server stays silent for a moment, until it
    closes the connection; what it answered before closing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answered = b""
    try:
        writer.write(first)
        while True:
            try:
                data = await asyncio.wait_for(reader.read(65536), 0.05)  # the drip's pace
            except TimeoutError:
                writer.write(drip)
                await writer.drain()
                continue
            if not data:
                return answered
            answered += data
    except (ConnectionResetError, BrokenPipeError):
        return answered
    finally:
        writer.close()


async def healthy(port: int) -> bool:
    """Two requests on one kept-alive connection are answered: the deadlines cut the slow,
    not the ordinary client."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    statuses = []
    for close in (b"", b"Connection: close\r\n"):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + close + b"\r\n")
        statuses.append(await reader.readline())
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        await reader.readexactly(len(b'{"status":"ok"}'))
    writer.close()
    return all(status.startswith(b"HTTP/1.1 200") for status in statuses)


async def test_slowloris_headers_are_cut_off(tmp_path: Path) -> None:
    start = b"POST /v1/sources/alertmanager HTTP/1.1\r\nHost: t\r\n"
    async with serving(tmp_path, QUICK) as port:
        trickles = [closed_by_server(port, start, b"X-More: 1\r\n") for _ in range(50)]
        answers = await asyncio.wait_for(asyncio.gather(*trickles), NEVER)
        assert answers == [b""] * 50  # closed without a word: no request was ever made
        assert await healthy(port)


async def test_a_body_trickling_in_is_cut_off(tmp_path: Path) -> None:
    headers = (
        f"POST /v1/sources/alertmanager?token={AM_TOKEN} HTTP/1.1\r\nHost: t\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
    ).encode()
    async with serving(tmp_path, QUICK) as port:
        trickles = [closed_by_server(port, headers, b" ") for _ in range(10)]
        answers = await asyncio.wait_for(asyncio.gather(*trickles), NEVER)
        assert answers == [b""] * 10
        assert await healthy(port)


async def test_an_endless_header_is_refused(tmp_path: Path) -> None:
    start = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Endless: "
    async with serving(tmp_path, QUICK) as port:
        answer = await asyncio.wait_for(closed_by_server(port, start, b"a" * 4096), NEVER)
        assert answer.startswith(b"HTTP/1.1 400")


async def _race_a_huge_chunked_post(port: int, head: bytes, total: int) -> tuple[bytes, int]:
    """Send `total` bytes of chunked body after `head` while reading the answer; the status
    line and how much had been sent when it came."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    chunk = b"x" * (64 * 1024)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"

    async def send_all() -> None:
        nonlocal sent
        writer.write(head)
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            while sent < total:
                writer.write(frame)
                await writer.drain()
                sent += len(chunk)
            writer.write(b"0\r\n\r\n")  # the end: a server that waits for it answers now
            await writer.drain()

    sending = asyncio.create_task(send_all())
    status = await asyncio.wait_for(reader.readline(), NEVER)
    sent_when_answered = sent
    sending.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    writer.close()
    return status, sent_when_answered


async def test_a_huge_chunked_post_without_credentials_is_answered_before_its_end(
    tmp_path: Path,
) -> None:
    head = (
        b"POST /v1/sources/alertmanager HTTP/1.1\r\nHost: t\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    async with serving(tmp_path, PATIENT) as port:
        status, sent = await _race_a_huge_chunked_post(port, head, 64 * MIB)
        assert status.startswith(b"HTTP/1.1 401")
        assert sent < 64 * MIB  # answered from the headers alone, the body never read
        assert await healthy(port)


async def test_a_huge_chunked_post_with_a_signature_is_cut_at_the_limit(tmp_path: Path) -> None:
    """A signature header anyone can forge (a fresh `t=`, any `v1=`) gets the body read, but
    only up to 16 MiB: 413 then, not after the 64 MiB sent."""
    head = (
        b"POST /v1/sources/keeptrusts HTTP/1.1\r\nHost: t\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + f"X-TicketBridge-Signature: t={int(time.time())},v1=00\r\n\r\n".encode()
    )
    async with serving(tmp_path, PATIENT) as port:
        status, sent = await _race_a_huge_chunked_post(port, head, 64 * MIB)
        assert status.startswith(b"HTTP/1.1 413")
        assert sent < 64 * MIB
        assert await healthy(port)
