"""An HTTP URL that receives each signed audit checkpoint (`audit.checkpoint_sink`) as a POST
(text/plain), through the SSRF guard. The file sink is bootstrap.audit.FileSink."""

from __future__ import annotations

import httpx

from ticketbridge.errors import DestinationRefused, TicketBridgeError
from ticketbridge.providers.outbound import (
    GuardedTransport,
    Network,
    OutboundPolicy,
    Resolver,
    system_resolver,
)

TIMEOUT = httpx.Timeout(10.0)


class SinkRefused(TicketBridgeError):
    """The sink did not take the checkpoint."""


class HttpSink:
    def __init__(
        self,
        url: str,
        allowed: tuple[Network, ...] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.url = url
        self._policy = OutboundPolicy(label="audit.checkpoint_sink", allowed_networks=allowed)
        self._inner = transport  # tests: the boundary; else a new connection per checkpoint
        self._resolver = resolver

    async def append(self, note: str) -> None:
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        try:
            inner = self._inner or httpx.AsyncHTTPTransport()
            guarded = GuardedTransport(inner, self._policy, self._resolver)
            async with httpx.AsyncClient(transport=guarded, timeout=TIMEOUT) as client:
                answer = await client.post(self.url, content=note.encode(), headers=headers)
        except (httpx.HTTPError, DestinationRefused) as err:
            raise SinkRefused(f"{self.url}: {type(err).__name__}: {err}") from err
        if answer.status_code >= 300:
            raise SinkRefused(f"{self.url}: HTTP {answer.status_code}")
