"""The outbound guard (SSRF): refused targets, the allow-list, DNS rebinding, plain http.

The network is replaced at its boundary: `httpx.MockTransport` records what would have left,
and a fake resolver answers for names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from ipaddress import ip_network

import httpx
import pytest

from ticketbridge.errors import DestinationRefused
from ticketbridge.providers.outbound import (
    GuardedTransport,
    OutboundPolicy,
    literal_address,
    url_refusal,
)

PUBLIC = "203.0.114.7"  # outside every special range

REFUSED_LITERALS = [
    "169.254.169.254",  # cloud metadata
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "127.0.0.1",
    "0.0.0.0",
    "[::]",
    "[::1]",
    "224.0.0.1",
    "[ff02::1]",
    "[fe80::1]",
    "[fd00:ec2::254]",  # AWS metadata over IPv6
    "100.100.100.200",  # Alibaba Cloud metadata
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "[::ffff:a9fe:a9fe]",  # 169.254.169.254, mapped, in hex
    "[2002:a9fe:a9fe::1]",  # 6to4 around 169.254.169.254
    "[64:ff9b::a00:5]",  # NAT64 around 10.0.0.5
    "[::7f00:1]",  # IPv4-compatible 127.0.0.1
    "2130706433",  # 127.0.0.1 in decimal
    "0x7f.1",  # in hex, short form
    "127.1",
    "0xa9.0xfe.0xa9.0xfe",
    "240.0.0.1",  # reserved
]


class Wire:
    """What reached the network: every request the inner transport was handed."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(200, json={"ok": True})

        return httpx.MockTransport(answer)


class Resolver:
    """Answers each lookup of a name with the next list of addresses (the last one repeats)."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self._answers = list(answers)
        self.lookups = 0

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups += 1
        return self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]


def _client(
    wire: Wire, policy: OutboundPolicy | None = None, resolver: Resolver | None = None
) -> httpx.AsyncClient:
    guarded = GuardedTransport(
        wire.transport(), policy or OutboundPolicy(label="jira.url"), resolver or Resolver([PUBLIC])
    )
    return httpx.AsyncClient(transport=guarded, timeout=5.0)


@pytest.mark.parametrize("host", REFUSED_LITERALS)
async def test_each_refused_address_written_in_the_url_never_reaches_the_wire(host: str) -> None:
    wire = Wire()
    async with _client(wire) as client:
        with pytest.raises(DestinationRefused, match=r"^jira\.url: "):
            await client.get(f"https://{host}/rest/api/3/myself")
    assert wire.requests == []
    assert url_refusal(f"https://{host}/", OutboundPolicy()) is not None


@pytest.mark.parametrize("answer", [h.strip("[]") for h in REFUSED_LITERALS[:15]])
async def test_a_name_resolving_to_a_refused_address_is_refused(answer: str) -> None:
    wire = Wire()
    async with _client(wire, resolver=Resolver([answer])) as client:
        with pytest.raises(DestinationRefused, match=re.escape("jira.example.com resolves to")):
            await client.get("https://jira.example.com/rest/api/3/myself")
    assert wire.requests == []


async def test_a_public_name_is_reached_at_the_address_checked_under_its_own_name() -> None:
    wire = Wire()
    async with _client(wire, resolver=Resolver([PUBLIC])) as client:
        response = await client.get("https://jira.example.com/rest/api/3/myself")
    assert response.status_code == 200
    (sent,) = wire.requests
    assert sent.url.host == PUBLIC  # connected to what was checked
    assert sent.headers["Host"] == "jira.example.com"
    assert sent.extensions["sni_hostname"] == "jira.example.com"  # TLS verifies the name


async def test_dns_rebinding_public_then_private_is_refused_and_never_connects_twice() -> None:
    """The check and the connection use one resolution: a name answering public, then
    169.254.169.254, gets the first request to the public address and the second refused."""
    wire = Wire()
    resolver = Resolver([PUBLIC], ["169.254.169.254"])
    async with _client(wire, resolver=resolver) as client:
        await client.get("https://rebind.example.com/rest/api/3/myself")
        with pytest.raises(DestinationRefused, match=re.escape("169.254.169.254 is link-local")):
            await client.get("https://rebind.example.com/rest/api/3/myself")
    assert [r.url.host for r in wire.requests] == [PUBLIC]
    assert resolver.lookups == 2


async def test_a_name_answering_public_and_private_together_is_refused() -> None:
    wire = Wire()
    async with _client(wire, resolver=Resolver([PUBLIC, "10.1.2.3"])) as client:
        with pytest.raises(DestinationRefused, match=re.escape("10.1.2.3 is a private address")):
            await client.get("https://mixed.example.com/")
    assert wire.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.5", "[::1]", "[fd12::1]", "192.168.1.1"])
async def test_allow_private_admits_loopback_and_private_networks(host: str) -> None:
    wire = Wire()
    policy = OutboundPolicy(label="jira.url", allow_private=True)
    async with _client(wire, policy) as client:
        assert (await client.get(f"https://{host}/")).status_code == 200
    assert len(wire.requests) == 1


@pytest.mark.parametrize(
    "host", ["169.254.169.254", "[fd00:ec2::254]", "100.100.100.200", "0.0.0.0", "224.0.0.1"]
)
async def test_allow_private_still_refuses_metadata_and_non_unicast(host: str) -> None:
    wire = Wire()
    policy = OutboundPolicy(label="jira.url", allow_private=True)
    async with _client(wire, policy) as client:
        with pytest.raises(DestinationRefused):
            await client.get(f"https://{host}/")
    assert wire.requests == []


async def test_an_explicit_network_admits_exactly_that_network() -> None:
    wire = Wire()
    policy = OutboundPolicy(allowed_networks=(ip_network("10.20.0.0/16"),))
    async with _client(wire, policy) as client:
        await client.get("https://10.20.3.4/")
        with pytest.raises(DestinationRefused):
            await client.get("https://10.21.3.4/")
    assert [r.url.host for r in wire.requests] == ["10.20.3.4"]


async def test_plain_http_is_refused_to_a_remote_host_and_allowed_to_loopback_dev() -> None:
    wire = Wire()
    async with _client(wire, resolver=Resolver([PUBLIC])) as client:
        with pytest.raises(DestinationRefused, match="credentials in clear"):
            await client.get("http://jira.example.com/")
    dev = OutboundPolicy(label="jira.url", allow_private=True)
    async with _client(wire, dev, Resolver(["127.0.0.1"], ["10.0.0.5"])) as client:
        await client.get("http://127.0.0.1:8081/")
        await client.get("http://localhost:8081/")
        with pytest.raises(DestinationRefused, match=re.escape("10.0.0.5 is not loopback")):
            await client.get("http://localhost:8081/")  # a hosts file sending it elsewhere
        with pytest.raises(DestinationRefused, match="credentials in clear"):
            await client.get("http://jira.office.lan/")  # a name: not known to stay local
    assert [r.url.host for r in wire.requests] == ["127.0.0.1", "127.0.0.1"]


async def test_plain_http_to_a_remote_host_needs_its_own_switch() -> None:
    wire = Wire()
    policy = OutboundPolicy(allow_plain_http=True)
    async with _client(wire, policy, Resolver([PUBLIC])) as client:
        await client.get("http://jira.example.com/")
    assert "sni_hostname" not in wire.requests[0].extensions
    assert url_refusal("http://jira.example.com/", OutboundPolicy()) is not None
    assert url_refusal("https://jira.example.com/", OutboundPolicy()) is None


async def test_a_name_that_does_not_resolve_is_a_connect_error_not_a_refusal() -> None:
    async def nothing(host: str, port: int) -> Sequence[str]:
        raise OSError("no such name")

    wire = Wire()
    guarded = GuardedTransport(wire.transport(), OutboundPolicy(), nothing)
    async with httpx.AsyncClient(transport=guarded, timeout=5.0) as client:
        with pytest.raises(httpx.ConnectError, match="cannot resolve"):
            await client.get("https://nowhere.example.com/")
    assert wire.requests == []


def test_other_schemes_are_refused() -> None:
    assert url_refusal("file:///etc/passwd", OutboundPolicy()) is not None
    assert url_refusal("gopher://jira.example.com/", OutboundPolicy()) is not None


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f.0.0.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("[::ffff:10.0.0.5]", "::ffff:a00:5"),
        ("fe80::1%eth0", "fe80::1"),
        ("jira.example.com", None),
        ("1.2.3.4.nip.io", None),
    ],
)
def test_every_ip_spelling_is_read_as_the_address_it_means(written: str, meant: str | None) -> None:
    address = literal_address(written)
    assert (str(address) if address is not None else None) == meant
    if meant is not None:
        assert url_refusal(f"https://{written.split('%')[0]}/", OutboundPolicy()) is not None
