"""`Authorization: Bearer tb_…` on the API: the header read, the key checked by
`services.api_keys.ApiKeys` (the use case: hashing, the cache, revocation), the scope required
by each route. Nothing here reads a body: authentication comes before it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticketbridge.api.ports import ApiKeyAuth
from ticketbridge.domain.records import ApiKey
from ticketbridge.services.api_keys import TOKEN_PREFIX, Scope

# Declares the scheme in the OpenAPI (`apiKey`, with each route's scope); checking stays ours.
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key: `Authorization: Bearer tb_…` (`ticketbridge apikey create`).",
)


class AuthError(Exception):
    """Raised by the dependency; the app turns it into a 401 or 403 JSON body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(message)


class Authenticator:
    """The caller's API key from the Authorization header, or `AuthError`."""

    def __init__(self, keys: ApiKeyAuth) -> None:
        self._keys = keys

    async def authenticate(self, authorization: str | None) -> ApiKey:
        key = await self._keys.authenticate(_bearer_token(authorization))
        if key is None:
            raise AuthError(401, "unauthorized", "unknown or revoked API key")
        return key

    def require(self, scope: Scope) -> Callable[..., Awaitable[ApiKey]]:
        """A FastAPI dependency: the caller's key, which must hold `scope` (or admin)."""

        declared = Security(_BEARER, scopes=[scope.value])  # a default: annotations are text

        async def dependency(
            request: Request, _declared: HTTPAuthorizationCredentials | None = declared
        ) -> ApiKey:
            key = await self.authenticate(request.headers.get("authorization"))
            if scope.value not in key.scopes and Scope.ADMIN.value not in key.scopes:
                raise AuthError(403, "forbidden", f"this API key lacks the {scope.value!r} scope")
            request.state.api_key = key  # for `caller`
            return key

        return dependency


def caller(request: Request) -> ApiKey:
    """The key `Authenticator.require` admitted for this request."""
    key = getattr(request.state, "api_key", None)
    if not isinstance(key, ApiKey):  # a route that forgot the dependency: refuse, never guess
        raise AuthError(401, "unauthorized", "this route requires an API key")
    return key


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthError(401, "unauthorized", "missing 'Authorization: Bearer tb_…' header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError(401, "unauthorized", "the Authorization header must be 'Bearer <token>'")
    if not token.startswith(TOKEN_PREFIX):
        raise AuthError(401, "unauthorized", "not a ticketbridge API key (they start with tb_)")
    return token
