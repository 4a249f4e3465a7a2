"""The HTTP API (FastAPI): `create_app(container)`; handlers call ports, never storage or Jira."""

from ticketbridge.api.app import create_app
from ticketbridge.api.ports import ApiContainer

__all__ = ["ApiContainer", "create_app"]
