"""OAuth 1.0a for Jira Data Center (application links, RSA-SHA1), for sites without personal
access tokens (before 8.14).

An administrator creates an application link with an incoming consumer key and our RSA public
key; a user then approves our request token once (`request_token` → `authorize_url` →
`access_token`), and every request is signed with the consumer key and that access token
(`OAuth1Signer`). oauthlib builds the signature base string and signs (RSA through PyJWT and
cryptography); the private key and the token never appear in a message.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Literal, cast
from urllib.parse import parse_qsl, urlencode

import httpx
from oauthlib.oauth1 import SIGNATURE_RSA, SIGNATURE_TYPE_AUTH_HEADER, Client

from ticketbridge.errors import AuthFailed, Unavailable

HttpMethod = Literal["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]
SERVLET = "/plugins/servlet/oauth/"
_FORM = "application/x-www-form-urlencoded"
_TIMEOUT = httpx.Timeout(10.0)


def _client(
    consumer_key: str,
    private_key: str,
    *,
    token: str | None = None,
    verifier: str | None = None,
    callback: str | None = None,
) -> Client:
    return Client(
        consumer_key,
        resource_owner_key=token,
        callback_uri=callback,
        verifier=verifier,
        signature_method=SIGNATURE_RSA,
        signature_type=SIGNATURE_TYPE_AUTH_HEADER,
        rsa_key=private_key,
    )


class OAuth1Signer(httpx.Auth):
    """Signs each request (RSA-SHA1) with the consumer key and the access token."""

    def __init__(self, consumer_key: str, private_key: str, token: str) -> None:
        self._consumer_key = consumer_key
        self._private_key = private_key
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        form = request.headers.get("content-type", "").startswith(_FORM)
        body = request.content.decode("utf-8") if form and request.content else None
        headers = {"Content-Type": _FORM} if form else {}
        client = _client(self._consumer_key, self._private_key, token=self._token)
        verb = cast(HttpMethod, request.method)
        _, signed, _ = client.sign(str(request.url), verb, body, headers)
        request.headers["Authorization"] = signed["Authorization"]
        yield request


async def request_token(
    http: httpx.AsyncClient, base_url: str, consumer_key: str, private_key: str
) -> str:
    """A request token for the user to approve (`oob`: Jira shows the verification code)."""
    client = _client(consumer_key, private_key, callback="oob")
    answer = await _signed_post(http, client, base_url + SERVLET + "request-token")
    return answer["oauth_token"]


def authorize_url(base_url: str, token: str) -> str:
    return f"{base_url}{SERVLET}authorize?{urlencode({'oauth_token': token})}"


async def access_token(
    http: httpx.AsyncClient,
    base_url: str,
    consumer_key: str,
    private_key: str,
    *,
    request_token: str,
    verifier: str,
) -> str:
    """The access token for the approved request token (Jira: valid for five years)."""
    client = _client(consumer_key, private_key, token=request_token, verifier=verifier)
    answer = await _signed_post(http, client, base_url + SERVLET + "access-token")
    return answer["oauth_token"]


async def _signed_post(http: httpx.AsyncClient, client: Client, url: str) -> dict[str, str]:
    _, headers, _ = client.sign(url, "POST")
    try:
        response = await http.post(url, headers=headers, timeout=_TIMEOUT)
    except httpx.TransportError as exc:
        raise Unavailable(f"Jira's OAuth servlet is unreachable ({type(exc).__name__})") from None
    answer = dict(parse_qsl(response.text)) if response.status_code == 200 else {}
    if "oauth_token" not in answer:
        problem = response.headers.get("WWW-Authenticate", "").rpartition("oauth_problem=")[2]
        raise AuthFailed(
            f"Jira refused the OAuth 1.0a step ({response.status_code} {problem[:60]}): check "
            "the application link's consumer key and public key",
            status=response.status_code,
        )
    return answer
