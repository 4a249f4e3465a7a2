"""A minimal HTTP/1.1 keep-alive load generator for the ingest benchmarks.

Why not httpx: on this 2-core machine httpx's client spends ~0.3–0.5 ms of CPU per request,
on the same cores as the server, so a benchmark with it measures mostly the client. This sends
pre-encoded requests over N persistent connections (one request in flight per connection, as
a real client does) and reads each response whole: status line, headers, Content-Length body.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["Load", "Reply", "send"]


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float


@dataclass
class Load:
    elapsed: float
    replies: list[Reply] = field(default_factory=list)


def request_bytes(url: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    host = urlsplit(url).netloc
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_reply(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _connection(url: str, requests: list[bytes], replies: list[Reply]) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while requests:
            request = requests.pop()
            started = time.perf_counter()
            writer.write(request)
            status, body = await _read_reply(reader)
            replies.append(Reply(status, body, time.perf_counter() - started))
    finally:
        writer.close()


async def send(url: str, requests: list[bytes], connections: int) -> Load:
    """Send every request over `connections` keep-alive connections; replies in arrival order."""
    queue = list(reversed(requests))
    replies: list[Reply] = []
    started = time.perf_counter()
    await asyncio.gather(*(_connection(url, queue, replies) for _ in range(connections)))
    return Load(time.perf_counter() - started, replies)
