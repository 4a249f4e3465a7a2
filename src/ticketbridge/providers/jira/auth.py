"""Authentication for Jira Cloud and Data Center, as `httpx.Auth` objects.

- Cloud API token: basic `email:token` (`api_token`).
- Data Center personal access token: `Authorization: Bearer <PAT>` (`personal_access_token`).
- Data Center username/password: basic (`basic`).
- Cloud OAuth 2.0 (3LO) and scoped API tokens go through api.atlassian.com: `oauth2`.

Secrets never appear in messages.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx


def api_token(email: str, token: str) -> httpx.Auth:
    return httpx.BasicAuth(email, token)


def basic(username: str, password: str) -> httpx.Auth:
    return httpx.BasicAuth(username, password)


class BearerToken(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def personal_access_token(token: str) -> httpx.Auth:
    return BearerToken(token)
