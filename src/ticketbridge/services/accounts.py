"""The admin UI's accounts: users with Argon2id password hashes, server-side sessions, the
durable login rate limit, and the record of every change made in the UI.

Sessions: the browser holds a random id (256 bits); only its SHA-256 is stored, so a copy of
the database signs nobody in. A session ends after `idle` without a request and, whatever the
activity, `absolute` after sign-in; signing in always makes a new id (never reuses one the
browser brought: no fixation). Changing a password ends every session of that user.

Login rate limit: failures are rows in the database (shared by every process, kept across a
restart): more than `per_user` failures for one username or `per_client` from one client
address within `window` refuse further attempts until the oldest ages out — before the
password is even checked, so a locked account cannot be probed.

Changes: `record` keeps who changed what through the UI (`ui_changes`, the UI's own list) and
records it as a CONFIG_CHANGE audit event in the same unit of work (`services.ui_changes`);
secrets are never part of a change's detail.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ticketbridge.clock import Clock
from ticketbridge.domain.accounts import Role, Session, UiChange, User
from ticketbridge.errors import InputError, Problem, TicketBridgeError
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.services.ui_changes import record_change

_USERNAME_CHARS = frozenset(string.ascii_letters + string.digits + "._@+-")
MIN_PASSWORD = 12
_MAX_PASSWORD = 1024  # Argon2 takes any length; a megabyte "password" is an attack
FIRST_ADMIN = "admin"


class LoginRefused(TicketBridgeError):
    """Unknown user, wrong password or a disabled account: one message for all three."""


class LoginThrottled(TicketBridgeError):
    def __init__(self, retry_after: timedelta) -> None:
        self.retry_after = retry_after
        minutes = max(1, int(retry_after.total_seconds() // 60))
        super().__init__(f"too many failed sign-ins; try again in {minutes} min")


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(minutes=1)  # last_seen written at most this often
    window: timedelta = timedelta(minutes=15)
    per_user: int = 5
    per_client: int = 20


@dataclass(frozen=True)
class SignedIn:
    """A session just opened: `token` goes into the cookie and nowhere else."""

    token: str
    user: User
    session: Session


@dataclass(frozen=True)
class Active:
    user: User
    session: Session


def hash_session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    """A generated password (the first admin's): 20 URL-safe characters, about 120 bits."""
    return secrets.token_urlsafe(15)


def check_username(username: str) -> str:
    name = username.strip()
    if not 1 <= len(name) <= 64 or not set(name) <= _USERNAME_CHARS:
        problem = "1 to 64 of letters, digits and . _ @ + -"
        raise InputError("invalid username", [Problem("username", problem)])
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= _MAX_PASSWORD:
        problem = f"{MIN_PASSWORD} to {_MAX_PASSWORD} characters"
        raise InputError("invalid password", [Problem("password", problem)])
    return password


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InputError("invalid role", [Problem("role", f"one of {allowed}")]) from None


class Accounts:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        policy: SessionPolicy | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self.policy = policy or SessionPolicy()
        self._hasher = hasher or PasswordHasher()  # Argon2id, RFC 9106 low-memory profile
        self._dummy: str | None = None  # verified against for unknown users: same cost

    # --- users ---------------------------------------------------------------------------

    async def create_user(self, username: str, password: str, role: Role) -> User:
        name = check_username(username)
        hashed = await self._hash(check_password(password))
        async with self._uow_factory() as uow:
            if await uow.accounts.user_by_name(name) is not None:
                raise InputError("user exists", [Problem("username", f"{name!r} exists")])
            user = await uow.accounts.add_user(name, hashed, role, self._clock())
            await uow.commit()
        return user

    async def set_password(self, username: str, password: str) -> User:
        """A new password; every session of the user ends."""
        hashed = await self._hash(check_password(password))
        async with self._uow_factory() as uow:
            user = await self._existing(uow.accounts.user_by_name(username.strip()), username)
            await uow.accounts.update_user(user.id, password_hash=hashed)
            await uow.accounts.drop_sessions(user_id=user.id)
            await uow.commit()
        return user

    async def update(self, username: str, *, role: Role | None, disabled: bool | None) -> User:
        """A new role or enabled state; a disabled user's sessions end."""
        async with self._uow_factory() as uow:
            user = await self._existing(uow.accounts.user_by_name(username.strip()), username)
            await uow.accounts.update_user(user.id, role=role, disabled=disabled)
            if disabled:
                await uow.accounts.drop_sessions(user_id=user.id)
            await uow.commit()
            changed = await uow.accounts.user(user.id)
        assert changed is not None
        return changed

    async def users(self) -> list[User]:
        async with self._uow_factory() as uow:
            return await uow.accounts.users()

    async def first_admin(self) -> tuple[str, str] | None:
        """When nobody can sign in yet: an `admin` with a generated password, returned once
        (`make run` prints it). None when a user exists."""
        async with self._uow_factory() as uow:
            if await uow.accounts.count_users():
                return None
        password = new_password()
        try:
            await self.create_user(FIRST_ADMIN, password, Role.ADMIN)
        except InputError:  # another process made it meanwhile
            return None
        return FIRST_ADMIN, password

    # --- sessions ------------------------------------------------------------------------

    async def sign_in(self, username: str, password: str, client: str) -> SignedIn:
        """A new session; LoginThrottled before any check when over the limit, LoginRefused
        (one message for unknown user, wrong password, disabled) otherwise."""
        name, now, policy = username.strip()[:255], self._clock(), self.policy
        async with self._uow_factory() as uow:
            named, from_client = await uow.accounts.failures_since(
                name, client, now - policy.window
            )
            user = await uow.accounts.user_by_name(name)
        if named >= policy.per_user or from_client >= policy.per_client:
            raise LoginThrottled(policy.window)
        valid = await self._verify(user.password_hash if user else None, password[:_MAX_PASSWORD])
        if user is None or not valid or user.disabled:
            async with self._uow_factory() as uow:
                await uow.accounts.add_failure(name, client, now)
                await uow.commit()
            raise LoginRefused("unknown user or wrong password")
        token = secrets.token_urlsafe(32)
        session = Session(hash_session_id(token), user.id, secrets.token_urlsafe(32), now, now)
        async with self._uow_factory() as uow:
            await uow.accounts.clear_failures(name, now - policy.window)
            await uow.accounts.purge_sessions(now - policy.idle, now - policy.absolute)
            await uow.accounts.add_session(session)
            await uow.commit()
        return SignedIn(token, user, session)

    async def resume(self, token: str | None) -> Active | None:
        """The signed-in user of a cookie's token; None when unknown, expired or disabled."""
        if not token or len(token) > 100:
            return None
        digest, now, policy = hash_session_id(token), self._clock(), self.policy
        async with self._uow_factory() as uow:
            session = await uow.accounts.session(digest)
            user = await uow.accounts.user(session.user_id) if session else None
            if session is None or user is None:
                return None
            idle, age = now - session.last_seen_at, now - session.created_at
            if user.disabled or idle >= policy.idle or age >= policy.absolute:
                await uow.accounts.drop_sessions(id_hash=digest)
                await uow.commit()
                return None
            if idle >= policy.touch_every:
                await uow.accounts.touch_session(digest, now)
                await uow.commit()
        return Active(user, session)

    async def sign_out(self, token: str | None) -> None:
        if not token:
            return
        async with self._uow_factory() as uow:
            await uow.accounts.drop_sessions(id_hash=hash_session_id(token))
            await uow.commit()

    # --- changes -------------------------------------------------------------------------

    async def record(
        self, actor: str, action: str, target: str, detail: Mapping[str, Any] | None = None
    ) -> None:
        async with self._uow_factory() as uow:
            await record_change(uow, self._clock(), actor, action, target, detail or {})
            await uow.commit()

    async def changes(self, limit: int = 100) -> list[UiChange]:
        async with self._uow_factory() as uow:
            return await uow.accounts.changes(limit)

    # --- hashing -------------------------------------------------------------------------

    async def _hash(self, password: str) -> str:
        # Argon2 is slow on purpose (tens of ms): off the event loop.
        return await asyncio.to_thread(self._hasher.hash, password)

    async def _verify(self, hashed: str | None, password: str) -> bool:
        if hashed is None:  # unknown user: spend the same time as for a known one
            if self._dummy is None:
                self._dummy = await self._hash(secrets.token_urlsafe(16))
            hashed = self._dummy
            password = ""  # never matches
        try:
            return await asyncio.to_thread(self._hasher.verify, hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _existing(self, lookup: Any, username: str) -> User:
        user = await lookup
        if user is None:
            raise InputError("unknown user", [Problem("username", f"no user {username!r}")])
        assert isinstance(user, User)
        return user
