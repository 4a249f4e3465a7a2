"""The real stack (bootstrap's container, SQLite in a temp dir) behind the app, in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from api_harness import Api

from ticketbridge import bootstrap
from ticketbridge.api.auth import hash_token, new_token
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}"
    settings = Settings(database_url=url, data_dir=tmp_path)
    await bootstrap.upgrade_database(url)
    async with bootstrap.open_container(settings, Config()) as container:
        keys = {}
        for scope in ("ingest", "read", "admin"):
            token = new_token()
            await container.api_keys.create(
                name=scope, scopes=frozenset({scope}), token_hash=hash_token(token)
            )
            keys[scope] = token
        transport = httpx.ASGITransport(app=bootstrap.build_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://tb.test") as client:
            yield Api(client, container, keys)
