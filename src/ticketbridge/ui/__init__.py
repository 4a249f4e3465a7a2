"""The admin UI (server-rendered, at /ui). A placeholder page until the UI is built."""

from ticketbridge.ui.placeholder import ui_router

__all__ = ["ui_router"]
