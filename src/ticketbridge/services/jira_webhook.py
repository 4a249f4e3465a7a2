"""`POST /v1/jira/webhook`: Jira's deliveries authenticated, kept and acknowledged (SPEC §6).

Authentication comes before anything else, and fails closed:
- `X-Hub-Signature: <method>=<hex>`, the HMAC of the *raw* body bytes with `jira.webhook.secret`
  (Cloud, and Data Center webhooks that have a secret). The method is parsed (`sha256`, the
  default, and the stronger `sha384`/`sha512`); any other is refused, never guessed.
- `?token=` equal to `jira.webhook.token`: Data Center webhooks without a secret.
- Neither configured, the header missing, a wrong signature or token: `SourceAuthError` (401),
  nothing stored, counted. Every compare is constant-time.

An authenticated delivery is stored raw with its headers (bounded) under its identifier
(`x-atlassian-webhook-identifier`, else the SHA-256 of the body) and committed before the 200:
Jira never retries a 4xx, so what we cannot use is stored too (the delivery loop marks it
rejected with the reason) rather than refused. A retry of a stored delivery stores nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from ticketbridge.clock import Clock, Monotonic
from ticketbridge.domain.deliveries import JiraDelivery, SignatureVerdict
from ticketbridge.errors import SourceAuthError
from ticketbridge.services.ports import UnitOfWorkFactory

SIGNATURE_HEADER = "x-hub-signature"
IDENTIFIER_HEADER = "x-atlassian-webhook-identifier"
RETRY_HEADER = "x-atlassian-webhook-retry"
FLOW_HEADER = "x-atlassian-webhook-flow"
_METHODS: dict[str, Literal["sha256", "sha384", "sha512"]] = {
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
}
MAX_IDENTIFIER = 128
MAX_HEADER_VALUE = 512  # headers kept with a delivery are cut to this…
MAX_HEADERS = 40  # …and at most this many
# Never kept: they prove or carry credentials.
_SECRET_HEADERS = frozenset({"authorization", "cookie", SIGNATURE_HEADER, "x-hub-signature-256"})


@dataclass(frozen=True)
class WebhookCredentials:
    """`jira.webhook` of the connection in effect."""

    secret: SecretStr | None = None
    token: SecretStr | None = None


@dataclass(frozen=True)
class OpenedDelivery:
    """A delivery whose headers passed; `signature` still to be checked against the body
    (None: the token authenticated it)."""

    headers: Mapping[str, str]
    method: Literal["sha256", "sha384", "sha512"] | None
    digest: str


@dataclass(frozen=True)
class Received:
    identifier: str
    duplicate: bool


class JiraWebhookIntake:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        credentials: Callable[[], WebhookCredentials],
        *,
        refused: Callable[[str], None] = lambda _reason: None,
        stored: Callable[[], None] = lambda: None,
        monotonic: Monotonic = time.monotonic,
        connection: str = "",
    ) -> None:
        """`connection`: the site (`jira.sites`) whose webhook this is ("": the default)."""
        self._connection = connection
        self._uow_factory = uow_factory
        self._clock = clock
        self._credentials = credentials  # read per delivery: a saved connection applies at once
        self._refused = refused  # counts each refusal by reason (metrics)
        self._stored = stored  # a new delivery is committed: wake the delivery loop
        self._monotonic = monotonic
        self._receiving = 0
        self._last = float("-inf")  # monotonic: when the last delivery was stored

    def idle_for(self) -> float:
        """Seconds since the last delivery was stored; 0 while one is being stored. The
        delivery loop lets intake go first by it (Jira waits for our 200)."""
        if self._receiving:
            return 0.0
        return self._monotonic() - self._last

    def open(self, headers: Mapping[str, str], query: Mapping[str, str]) -> OpenedDelivery:
        """What the headers and query can prove before the body is read; `SourceAuthError`
        (nothing read, nothing stored) when they cannot."""
        lowered = {name.lower(): value for name, value in headers.items()}
        credentials = self._credentials()
        secret, token = credentials.secret or None, credentials.token or None
        if secret is None and token is None:
            raise self._refuse(
                "no_secret",
                "no webhook secret is configured: set jira.webhook.secret (or .token)",
            )
        signature = lowered.get(SIGNATURE_HEADER)
        if signature is not None and secret is not None:
            method, _, digest = signature.strip().partition("=")
            known = _METHODS.get(method.strip().lower())
            if known is None or not digest:
                raise self._refuse("bad_method", "X-Hub-Signature: unknown method")
            return OpenedDelivery(lowered, known, digest.strip().lower())
        given = query.get("token")
        if token is not None and given is not None and _equal(given, token):
            return OpenedDelivery(lowered, None, "")
        if given is not None and token is not None:
            raise self._refuse("bad_token", "token mismatch")
        raise self._refuse("missing", "missing credentials: X-Hub-Signature (or ?token=)")

    async def receive(self, opened: OpenedDelivery, body: bytes) -> Received:
        """Verify the signature over the raw body, then keep the delivery (once)."""
        verdict = self._verify(opened, body)
        headers = opened.headers
        identifier = _identifier(headers.get(IDENTIFIER_HEADER), body)
        delivery = JiraDelivery(
            identifier=identifier,
            received_at=self._clock(),
            signature=verdict,
            body=body,
            headers=_kept(headers),
            retry=_retry(headers.get(RETRY_HEADER)),
            flow=(headers.get(FLOW_HEADER) or "")[:32] or None,
            connection=self._connection,
        )
        self._receiving += 1
        try:
            async with self._uow_factory() as uow:
                added = await uow.jira_deliveries.add(delivery)
                await uow.commit()
        finally:
            self._receiving -= 1
            self._last = self._monotonic()
        if added:
            self._stored()
        return Received(identifier=identifier, duplicate=not added)

    def _verify(self, opened: OpenedDelivery, body: bytes) -> SignatureVerdict:
        if opened.method is None:
            return "token"
        secret = self._credentials().secret
        if secret is None:  # removed between the headers and the body
            raise self._refuse("no_secret", "no webhook secret is configured")
        key = secret.get_secret_value().encode()
        expected = hmac.new(key, body, opened.method).hexdigest()
        if not hmac.compare_digest(expected.encode(), opened.digest.encode()):
            raise self._refuse("bad_signature", "signature mismatch")
        return opened.method

    def _refuse(self, reason: str, message: str) -> SourceAuthError:
        self._refused(reason)
        return SourceAuthError(message)


def _equal(given: str, expected: SecretStr) -> bool:
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


def _identifier(given: str | None, body: bytes) -> str:
    """Jira's identifier when it sent a sane one, else the body's SHA-256 (a redelivery of
    the same bytes is the same delivery)."""
    text = (given or "").strip()
    if text and len(text) <= MAX_IDENTIFIER and text.isprintable():
        return text
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _retry(value: str | None) -> int:
    text = (value or "").strip()
    return min(int(text), 1000) if text.isdigit() and len(text) < 6 else 0


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name, value in headers.items():
        if name in _SECRET_HEADERS or len(kept) >= MAX_HEADERS:
            continue
        kept[name[:64]] = value[:MAX_HEADER_VALUE]
    return kept
