"""`python -m jira_emulator`: serve the emulator over real HTTP."""

from __future__ import annotations

from pathlib import Path


def serve(*, host: str, port: int, flavor: str, seed: Path | None) -> None:
    raise SystemExit("the emulator server is not built yet")


if __name__ == "__main__":
    serve(host="127.0.0.1", port=8081, flavor="cloud", seed=None)
