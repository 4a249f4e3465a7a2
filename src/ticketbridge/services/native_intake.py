"""Native deliveries (`POST /v1/sources/{source}`): authenticate, parse, ingest (SPEC §2).

In two steps, so that nothing unauthenticated costs more than its headers: `open` checks what
the headers can prove before a byte of the body is read (a token, or no credential where that
is allowed: verified; a signature header that parses, inside its replay window: the body will
tell), and refuses the rest. `ingest` then verifies the signature over the body, if one is
pending, parses with the source's adapter and accepts the alerts, each of which must be in the
delivering source's name: a `generic` delivery saying `"source": "keeptrusts"` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ticketbridge.clock import Clock
from ticketbridge.config import SourceConfig
from ticketbridge.services.intake import check_granted
from ticketbridge.services.ticket_wait import Answer, Wait, WaitingIngest
from ticketbridge.sources import SOURCES, SourceAuthConfig, precheck, verify


@dataclass(frozen=True)
class Delivery:
    """A native delivery whose headers passed `open`. `authenticated`: a token proved the
    sender; otherwise its body is read as an unauthenticated one, and a signature over it is
    still to be checked (`body_verified`), unless the source is open to anyone."""

    source: str
    # The sender's credentials travel in these: kept out of `repr` (and so out of logs).
    headers: Mapping[str, str] = field(repr=False)  # names in lower case
    query: Mapping[str, str] = field(repr=False)
    authenticated: bool = False
    auth: SourceAuthConfig = field(repr=False, default_factory=SourceAuthConfig)

    def body_verified(self, body: bytes, clock: Clock) -> None:
        """`SourceAuthError` unless the body is what the sender signed (a no-op once a token
        authenticated the sender, or where no credential is required)."""
        if not self.authenticated:
            verify(self.auth, self.headers, self.query, body, clock())


def open_delivery(
    source: str,
    configured: SourceConfig | None,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    clock: Clock,
) -> Delivery:
    """Check the headers of a delivery for `source` (`SourceAuthError` when they cannot be
    right whatever the body)."""
    auth = SourceAuthConfig.from_config(source, configured)
    lowered = {name.lower(): value for name, value in headers.items()}
    method = precheck(auth, lowered, query, clock())
    authenticated = method in ("bearer", "query_token")
    return Delivery(source, lowered, dict(query), authenticated=authenticated, auth=auth)


class NativeIntake:
    def __init__(
        self, accepting: WaitingIngest, sources: Mapping[str, SourceConfig], clock: Clock
    ) -> None:
        self._accepting = accepting
        self._sources = sources
        self._clock = clock

    def open(self, source: str, headers: Mapping[str, str], query: Mapping[str, str]) -> Delivery:
        """`LookupError` for a source nobody knows, `SourceAuthError` for headers that cannot
        authenticate; else the delivery, ready for its body."""
        adapter = SOURCES.get(source)
        if adapter is None or adapter.parse_alerts is None:
            known = ", ".join(sorted(n for n, a in SOURCES.items() if a.parse_alerts))
            raise LookupError(f"alert sources are: {known}")
        return open_delivery(source, self._sources.get(source), headers, query, self._clock)

    async def ingest(self, delivery: Delivery, body: bytes, wait: Wait = Wait.COMMIT) -> Answer:
        """Verify (`SourceAuthError`: nothing stored), parse (`InputError` naming the field),
        check every alert is in the source's name (`SourceNotGranted`), accept; answer once
        what `wait` waits for is there."""
        delivery.body_verified(body, self._clock)
        parse = SOURCES[delivery.source].parse_alerts
        assert parse is not None, "open() admits alert sources only"
        configured = self._sources.get(delivery.source)
        fields = configured.fingerprint if configured else None
        alerts = parse(body, received_at=self._clock(), fingerprint_fields=fields)
        check_granted(alerts, {delivery.source}, listed=len(alerts) > 1)  # [i]: the i-th alert
        return await self._accepting.ingest(alerts, wait) if alerts else Answer([], wait)
