"""The OAuth 1.0a dance of `ticketbridge config jira --oauth1`, through the outbound guard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network

import httpx

from ticketbridge.providers.jira.oauth1 import access_token, authorize_url, request_token
from ticketbridge.providers.outbound import GuardedTransport, OutboundPolicy


@dataclass(frozen=True)
class ApplicationLink:
    """A Data Center site and our side of its application link."""

    url: str
    consumer_key: str
    private_key: str
    allow_private: bool = False
    allow_plain_http: bool = False
    allowed: Sequence[IPv4Network | IPv6Network] = ()

    def http(self) -> httpx.AsyncClient:
        policy = OutboundPolicy(
            label="jira.url",
            allow_private=self.allow_private,
            allow_plain_http=self.allow_plain_http,
            allowed_networks=tuple(self.allowed),
            switches="jira.allow_private: true (`config jira --allow-private`)",
        )
        return httpx.AsyncClient(transport=GuardedTransport(httpx.AsyncHTTPTransport(), policy))


async def oauth1_start(link: ApplicationLink) -> tuple[str, str]:
    """(request token, the URL where a Jira user approves it)."""
    base = link.url.rstrip("/")
    async with link.http() as http:
        token = await request_token(http, base, link.consumer_key, link.private_key)
    return token, authorize_url(base, token)


async def oauth1_finish(link: ApplicationLink, *, token: str, verifier: str) -> str:
    """The access token for the approved request token."""
    async with link.http() as http:
        return await access_token(
            http,
            link.url.rstrip("/"),
            link.consumer_key,
            link.private_key,
            request_token=token,
            verifier=verifier,
        )
