"""The admin UI (SPEC §10): server-rendered pages at /ui, login required, CSRF- and
CSP-protected, htmx served from here (no CDN). It translates only: the use cases are the
services the API uses too (`ui.ports.UiContainer`)."""

from ticketbridge.ui.app import install_ui

__all__ = ["install_ui"]
