"""The admin UI's accounts on both databases: Argon2id hashes, sessions that end after their
idle and absolute timeouts, a new id at every sign-in, the durable login rate limit, and a
password change ending every session (virtual clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from ticketbridge.bootstrap import uow_factory
from ticketbridge.domain.accounts import Role
from ticketbridge.errors import InputError
from ticketbridge.services.accounts import Accounts, LoginRefused, LoginThrottled
from ticketbridge.storage import Database

PASSWORD = "correct horse battery"


@dataclass
class Clock:
    now: datetime = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def _accounts(database: Database, clock: Clock) -> Accounts:
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # still Argon2id
    return Accounts(uow_factory(database), clock, hasher=cheap)


async def test_sign_in_makes_a_new_session_each_time_stored_hashed(database: Database) -> None:
    clock = Clock()
    accounts = _accounts(database, clock)
    user = await accounts.create_user("alice", PASSWORD, Role.ADMIN)
    assert user.password_hash.startswith("$argon2id$")
    first = await accounts.sign_in("alice", PASSWORD, "10.0.0.1")
    second = await accounts.sign_in("alice", PASSWORD, "10.0.0.1")
    assert first.token != second.token
    assert first.session.id_hash not in (first.token, second.session.id_hash)
    active = await accounts.resume(second.token)
    assert active is not None
    assert active.user.username == "alice"
    assert await accounts.resume(first.session.id_hash) is None  # the stored hash is no key


async def test_sessions_end_when_idle_and_at_the_absolute_limit(database: Database) -> None:
    clock = Clock()
    accounts = _accounts(database, clock)
    await accounts.create_user("alice", PASSWORD, Role.READ)
    idle = await accounts.sign_in("alice", PASSWORD, "c")
    busy = await accounts.sign_in("alice", PASSWORD, "c")
    for _ in range(26):  # 26 × 29 min: busy is used every 29 minutes
        clock.advance(timedelta(minutes=29))
        if clock.now - idle.session.created_at < timedelta(hours=12) - timedelta(minutes=29):
            assert await accounts.resume(busy.token) is not None
    assert await accounts.resume(idle.token) is None  # 30 min idle ended it long ago
    assert await accounts.resume(busy.token) is None  # 12 h absolute, however busy


async def test_failed_logins_are_limited_across_instances(database: Database) -> None:
    clock = Clock()
    await _accounts(database, clock).create_user("alice", PASSWORD, Role.READ)
    for _ in range(5):
        with pytest.raises(LoginRefused):
            await _accounts(database, clock).sign_in("alice", "wrong password!", "c1")
    with pytest.raises(LoginThrottled):  # a fresh service (another process) sees the same rows
        await _accounts(database, clock).sign_in("alice", PASSWORD, "c2")
    clock.advance(timedelta(minutes=16))
    assert await _accounts(database, clock).sign_in("alice", PASSWORD, "c2")


async def test_unknown_users_and_disabled_ones_are_refused_alike(database: Database) -> None:
    clock = Clock()
    accounts = _accounts(database, clock)
    await accounts.create_user("bob", PASSWORD, Role.READ)
    await accounts.update("bob", role=None, disabled=True)
    for name in ("bob", "nobody"):
        with pytest.raises(LoginRefused, match="unknown user or wrong password"):
            await accounts.sign_in(name, PASSWORD, "c")


async def test_a_new_password_ends_every_session(database: Database) -> None:
    clock = Clock()
    accounts = _accounts(database, clock)
    await accounts.create_user("alice", PASSWORD, Role.ADMIN)
    signed = await accounts.sign_in("alice", PASSWORD, "c")
    await accounts.set_password("alice", "another long password")
    assert await accounts.resume(signed.token) is None
    with pytest.raises(LoginRefused):
        await accounts.sign_in("alice", PASSWORD, "c")


async def test_first_admin_only_when_nobody_exists_and_bad_input_names_the_field(
    database: Database,
) -> None:
    accounts = _accounts(database, Clock())
    first = await accounts.first_admin()
    assert first is not None
    assert await accounts.sign_in(first[0], first[1], "c")
    assert await accounts.first_admin() is None
    with pytest.raises(InputError) as short:
        await accounts.create_user("carol", "short", Role.READ)
    assert short.value.problems[0].path == "password"
    with pytest.raises(InputError) as bad:
        await accounts.create_user("<script>", PASSWORD, Role.READ)
    assert bad.value.problems[0].path == "username"
