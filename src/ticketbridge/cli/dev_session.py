"""What a running `ticketbridge dev` tells the other commands: the database it uses.

With the emulator, `dev` keeps its own database (`<data_dir>/dev.db`); while it runs it records
that in `<data_dir>/dev-session.json` (with its pid), and `explain`, `outbox`, `apikey` … run in
the same directory use it instead of the default database, with a note on stderr. A session
whose process is gone (killed, crashed) is ignored; TICKETBRIDGE_DATABASE_URL always wins.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ticketbridge.api.jira_connection import write_private
from ticketbridge.cli.common import err_console
from ticketbridge.config.settings import Settings

_FILE = "dev-session.json"


@dataclass(frozen=True)
class DevSession:
    pid: int
    database_url: str
    api_url: str


def record(data_dir: Path, database_url: str, api_url: str) -> None:
    session = {"pid": os.getpid(), "database_url": database_url, "api_url": api_url}
    write_private(data_dir / _FILE, json.dumps(session, indent=2))


def clear(data_dir: Path) -> None:
    """Forget this process's session (another dev's is left alone)."""
    session = _read(data_dir / _FILE)
    if session is not None and session.pid == os.getpid():
        (data_dir / _FILE).unlink(missing_ok=True)


def running(data_dir: Path) -> DevSession | None:
    """The session of a `dev` process that is still alive, if any."""
    session = _read(data_dir / _FILE)
    if session is None or not _alive(session.pid):
        return None
    return session


def following_dev(settings: Settings) -> Settings:
    """`settings` on the running dev's database, unless the database was chosen explicitly."""
    if "database_url" in settings.model_fields_set:
        return settings
    session = running(settings.data_dir)
    if session is None or session.database_url == settings.database_url:
        return settings
    err_console.print(
        f"(the database of `ticketbridge dev`, pid {session.pid}: {session.database_url})",
        style="dim",
        markup=False,
    )
    return settings.model_copy(update={"database_url": session.database_url})


def _read(path: Path) -> DevSession | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DevSession(int(data["pid"]), str(data["database_url"]), str(data["api_url"]))
    except (OSError, ValueError, KeyError, TypeError):  # absent, or not what `record` wrote
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True
