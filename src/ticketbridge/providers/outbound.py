"""The guard on every request ticketbridge sends out (Jira today; callbacks and Slack later).

A URL someone configured (`ticketbridge config jira`, `PUT /v1/integrations/jira`, a callback)
must not turn ticketbridge into a way into the network it runs in (SSRF): the cloud metadata
service at 169.254.169.254, the admin port of a database on 10.0.0.5, a service on loopback.
`OutboundPolicy` says what a target may be:

- public addresses only, unless `allow_private` (loopback and private ranges: RFC 1918, CGNAT,
  IPv6 ULA — a Jira Data Center on the office network, the emulator on 127.0.0.1) or an explicit
  `allowed_networks` entry. Link-local, cloud metadata, unspecified, multicast and reserved
  addresses are refused even then (only an explicit network admits them);
- `https://`, or plain `http://` only to loopback (development) or with `allow_plain_http`:
  credentials travel in every request's Authorization header.

An address is judged after every spelling is undone: IPv4 written in decimal, octal or hex
(`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`), and IPv4 inside IPv6 (`::ffff:127.0.0.1`,
IPv4-compatible, 6to4, NAT64, Teredo).

`GuardedTransport` applies the policy to each request where it leaves: it resolves the host
once, refuses when any address it resolved to is refused, and connects to the address it
checked (the URL's host is replaced by that address; the Host header and TLS's SNI and
certificate check keep the name), so a name that answers public for the check and private for
the connection (DNS rebinding) cannot get through.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

import httpx

from ticketbridge.errors import DestinationRefused

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""host, port → the addresses the host resolves to (the boundary tests replace)."""

_PRIVATE: tuple[Network, ...] = tuple(
    ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                            "fc00::/7")
)  # fmt: skip
# Metadata services that live outside link-local: AWS over IPv6 (inside the ULA range) and
# Alibaba Cloud (inside CGNAT). Refused even with allow_private.
_METADATA: tuple[Network, ...] = (ip_network("fd00:ec2::254/128"), ip_network("100.100.100.200/32"))
_NAT64 = ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ip_network("::/96")
# What inet_aton reads as an IPv4 address: 1 to 4 parts, each decimal, octal (0…) or hex (0x…).
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class OutboundPolicy:
    """What an outbound target may be; `label` names the setting in messages (`jira.url`)."""

    label: str = "url"
    allow_private: bool = False
    allow_plain_http: bool = False
    allowed_networks: tuple[Network, ...] = ()
    switches: str = ""  # how to allow what is refused, for messages: "jira.allow_private: true"

    @property
    def hint(self) -> str:
        how = self.switches or f"{_section(self.label)}allow_private: true"
        return f"set {how} if this is your own network"


def _section(label: str) -> str:
    """`jira.url` → `jira.`: where the switches of the setting named by `label` live."""
    return label.rsplit(".", 1)[0] + "." if "." in label else ""


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as an IP literal means, in any spelling; None for a name."""
    bare = host.strip("[]").split("%", 1)[0]  # an IPv6 zone (`fe80::1%eth0`) names no host
    try:
        return ip_address(bare)
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(bare):
        try:
            return IPv4Address(socket.inet_aton(bare.rstrip(".")))
        except OSError:
            return IPv4Address(0)  # numeric but not an address: refused as unspecified
    return None


def refusal(address: IPAddress, policy: OutboundPolicy) -> str | None:
    """Why `address` may not be a target under `policy`; None when it may."""
    if any(address in network for network in policy.allowed_networks):
        return None
    inner = _embedded_ipv4(address) if isinstance(address, IPv6Address) else None
    if inner is not None:
        reason = refusal(inner, policy)
        return f"{reason} (written as {address})" if reason else None
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address.is_link_local or any(address in n for n in _METADATA):
        return f"{address} is link-local, where cloud metadata services answer"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address.is_loopback or any(address in n for n in _PRIVATE):
        kind = "a loopback" if address.is_loopback else "a private"
        return None if policy.allow_private else f"{address} is {kind} address; {policy.hint}"
    if not address.is_global:
        return f"{address} is a reserved address"
    return None


def url_refusal(url: str | httpx.URL, policy: OutboundPolicy) -> str | None:
    """Why `url` may not be a target, judged without DNS (scheme, IP literals); None if it
    may so far (a name is judged again by `GuardedTransport` when it is resolved)."""
    try:
        parsed = httpx.URL(str(url))
    except httpx.InvalidURL as error:
        return f"not a valid URL ({error})"
    if parsed.scheme not in _DEFAULT_PORTS:
        return f"the scheme must be https, not {parsed.scheme or 'nothing'}"
    if not parsed.host:
        return "the URL names no host"
    address = literal_address(parsed.host)
    if address is not None:
        reason = refusal(address, policy)
        if reason is not None:
            return reason
    if parsed.scheme == "http" and not _plain_http_allowed(parsed.host, address, policy):
        return (
            f"plain http:// would send the credentials in clear; use https:// "
            f"(or set {_section(policy.label)}allow_plain_http: true)"
        )
    return None


def _plain_http_allowed(host: str, address: IPAddress | None, policy: OutboundPolicy) -> bool:
    if policy.allow_plain_http:
        return True
    if address is None:  # a name: only localhost is known to stay on this machine
        return host.rstrip(".").lower() == "localhost" and policy.allow_private
    return _is_loopback(address)


def _is_loopback(address: IPAddress) -> bool:
    inner = _embedded_ipv4(address) if isinstance(address, IPv6Address) else None
    return (inner or address).is_loopback


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 spelling carries (mapped, compatible, 6to4, NAT64, Teredo)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives for `host` (socket.gaierror if none)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedTransport(httpx.AsyncBaseTransport):
    """Sends through `inner` only to targets `policy` admits, connecting to the checked address."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: OutboundPolicy,
        resolver: Resolver = system_resolver,
        resolve_timeout: float = 5.0,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._resolver = resolver
        self._resolve_timeout = resolve_timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        reason = url_refusal(url, self._policy)
        if reason is not None:
            raise DestinationRefused(f"{self._policy.label}: {url.host}: {reason}")
        pinned = await self._checked_address(request)
        if url.scheme == "https":  # the certificate is checked against the name, not the IP
            request.extensions = {**request.extensions, "sni_hostname": url.host}
        request.url = url.copy_with(host=str(pinned))
        return await self._inner.handle_async_request(request)

    async def _checked_address(self, request: httpx.Request) -> IPAddress:
        """The address to connect to: every address the host resolves to must be admitted
        (an attacker's name answering [public, private] would otherwise get a chance)."""
        url = request.url
        literal = literal_address(url.host)
        if literal is not None:
            return literal
        port = url.port or _DEFAULT_PORTS[url.scheme]
        try:
            async with asyncio.timeout(self._resolve_timeout):
                answers = await self._resolver(url.host, port)
        except TimeoutError as error:
            message = f"resolving {url.host} timed out"
            raise httpx.ConnectTimeout(message, request=request) from error
        except OSError as error:  # socket.gaierror: no such name, or no resolver
            raise httpx.ConnectError(f"cannot resolve {url.host}", request=request) from error
        addresses = [literal_address(answer) for answer in answers]
        if not addresses or any(a is None for a in addresses):
            raise httpx.ConnectError(f"cannot resolve {url.host}", request=request)
        checked = [a for a in addresses if a is not None]
        for address in checked:
            reason = refusal(address, self._policy)
            if reason is None and url.scheme == "http" and not self._policy.allow_plain_http:
                clear = "plain http:// would send the credentials in clear"
                reason = None if _is_loopback(address) else f"{address} is not loopback: {clear}"
            if reason is not None:
                raise DestinationRefused(f"{self._policy.label}: {url.host} resolves to {reason}")
        return checked[0]

    async def aclose(self) -> None:
        await self._inner.aclose()
