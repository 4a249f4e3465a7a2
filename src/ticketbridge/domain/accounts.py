"""The admin UI's people: users with a role, their sessions, and the changes they made.

Pure records shared by `services.accounts` and `storage.accounts` (which never import each
other). A role is one of the API's scopes a person may hold: `read` sees every page, `admin`
also changes things (SPEC §10: roles match the API scopes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str  # Argon2id, PHC string
    role: Role
    created_at: datetime
    disabled: bool = False

    @property
    def may_change(self) -> bool:
        return self.role is Role.ADMIN and not self.disabled


@dataclass(frozen=True)
class Session:
    """A signed-in browser. Only the SHA-256 of its id is stored (`id_hash`); `csrf` is the
    form token its pages carry."""

    id_hash: str
    user_id: int
    csrf: str
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class UiChange:
    """One change made through the UI, the UI's own list (the same change is a CONFIG_CHANGE
    audit event, recorded with it): who, what (`action`, e.g. `jira.connection.save`), on
    what, and the values changed (secrets never: only that they were replaced)."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: Mapping[str, Any]
