"""The `Api` handle the API tests get from the `api` fixture (conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ticketbridge import bootstrap


@dataclass
class Api:
    client: httpx.AsyncClient
    container: bootstrap.Container
    keys: dict[str, str]  # scope name → token

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}
