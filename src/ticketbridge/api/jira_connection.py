"""The Jira connection set with `ticketbridge config jira` or `PUT /v1/integrations/jira`.

Stored in a local file, `<var>/jira-connection.json` (the database has no table for it yet), with
every secret (API token, PAT, password) encrypted with Fernet. Running processes notice a new
file by its `stamp()` (inode, size, mtime: one `stat`), so a saved connection takes effect
without a restart in every process that shares the directory. The Fernet key is derived (HKDF)
from TICKETBRIDGE_SECRET_KEY; when that is unset a random key is created once in
`<var>/secret.key`, so a laptop works out of the box and a server sets the variable.
A `jira:` section in ticketbridge.yaml wins over this file.

Both files are created readable by their owner only (0600, in a 0700 directory when it is new),
whatever the umask: created with that mode, never loosened then tightened (`write_private`).
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from ticketbridge.config.integrations import JiraConfig
from ticketbridge.errors import ConfigError, Problem, validated

_ENCRYPTED = "fernet:"
_EXTRAS = "ticketbridge"  # what is ours, not the `jira:` section: default project, audit linking


def fernet_from_secret(secret: str) -> Fernet:
    """A Fernet key from any secret string (HKDF-SHA256, fixed context)."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"ticketbridge jira connection"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(raw))


Stamp = tuple[int, int, int]
"""What changes whenever the file is replaced: inode (every save renames a new file in), size
and modification time in nanoseconds."""


@dataclass(frozen=True)
class StoredConnection:
    jira: JiraConfig
    project_key: str | None
    projects: tuple[str, ...] = ()
    link_pattern: str | None = None  # audit.link_pattern when ticketbridge.yaml sets none
    capture_fields: tuple[str, ...] | None = None


class ConnectionStore:
    def __init__(self, var_dir: Path, secret_key: str | None) -> None:
        self.path = var_dir / "jira-connection.json"
        self._var_dir = var_dir
        self._secret_key = secret_key

    def save(self, connection: StoredConnection) -> None:
        fernet = self._fernet(create=True)
        jira = connection.jira
        document = jira.model_dump(mode="json", exclude={"auth", "webhook"}, exclude_none=True)
        # Every secret encrypted, the webhook's too (a dump would write them as '**********').
        for section, model in (("auth", jira.auth), ("webhook", jira.webhook)):
            plain = model.model_dump(mode="json")  # URLs as text (OAuth's auth_url, api_url)
            document[section] = {
                name: _encrypt(fernet, value) if isinstance(value, SecretStr) else plain[name]
                for name, value in dict(model).items()
                if value is not None
            }
        document[_EXTRAS] = {
            "project_key": connection.project_key,
            "projects": list(connection.projects),
            "link_pattern": connection.link_pattern,
            "capture_fields": _listed(connection.capture_fields),
        }
        write_private(self.path, json.dumps(document, indent=2))

    def stamp(self) -> Stamp | None:
        """Cheap identity of the stored file (None: nothing stored)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def load(self) -> StoredConnection | None:
        if not self.path.exists():
            return None
        try:
            document: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except ValueError as exc:  # hand-edited, or not ours
            raise ConfigError(
                f"{self.path} is not a valid Jira connection", [Problem("file", str(exc))]
            ) from exc
        if not isinstance(document, dict):
            raise ConfigError(
                f"{self.path} is not a valid Jira connection", [Problem("file", "not an object")]
            )
        extras = document.pop(_EXTRAS, None) or {"project_key": document.pop("project_key", None)}
        for section in ("auth", "webhook"):
            values = document.get(section) or {}
            if any(isinstance(v, str) and v.startswith(_ENCRYPTED) for v in values.values()):
                fernet = self._fernet(create=False)
                document[section] = {k: _decrypt(fernet, k, v) for k, v in values.items()}
        jira = validated(JiraConfig, document, f"{self.path} is not a valid Jira connection")
        fields = extras.get("capture_fields")
        return StoredConnection(
            jira,
            extras.get("project_key"),
            tuple(extras.get("projects") or ()),
            extras.get("link_pattern"),
            tuple(fields) if fields is not None else None,
        )

    def cipher(self) -> Fernet:
        """The key every stored secret is encrypted with (the OAuth tokens in the database
        and the audit signing key too), created on first use as for the connection file."""
        return self._fernet(create=True)

    def _fernet(self, *, create: bool) -> Fernet:
        if self._secret_key:
            return fernet_from_secret(self._secret_key)
        key_file = self._var_dir / "secret.key"
        if not key_file.exists():
            if not create:
                raise ConfigError(
                    "cannot decrypt the stored Jira connection",
                    [Problem("TICKETBRIDGE_SECRET_KEY", f"unset, and {key_file} is missing")],
                )
            write_private(key_file, secrets.token_urlsafe(32))
        return fernet_from_secret(key_file.read_text().strip())


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by the owner only from the first byte: a fresh
    temporary file is created 0600 (O_EXCL: never through someone's symlink), then renamed."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # left by a crash
    tmp.touch(mode=0o600, exist_ok=False)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _listed(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None


def _encrypt(fernet: Fernet, value: SecretStr) -> str:
    return _ENCRYPTED + fernet.encrypt(value.get_secret_value().encode()).decode()


def _decrypt(fernet: Fernet, name: str, value: Any) -> Any:
    if not (isinstance(value, str) and value.startswith(_ENCRYPTED)):
        return value
    try:
        return fernet.decrypt(value.removeprefix(_ENCRYPTED).encode()).decode()
    except InvalidToken as exc:
        raise ConfigError(
            "cannot decrypt the stored Jira connection",
            [Problem(f"auth.{name}", "wrong TICKETBRIDGE_SECRET_KEY for this file")],
        ) from exc
