"""Tests that need a real part (PostgreSQL, Chromium, Alertmanager) call `require(...)`.

Without the part they skip with the reason; under TICKETBRIDGE_REQUIRE_ALL=1 (CI) they fail,
so a green CI run means every real-parts test actually ran.
"""

from __future__ import annotations

import glob
import os
import shutil

import pytest

REQUIRE_ALL = os.environ.get("TICKETBRIDGE_REQUIRE_ALL") == "1"


def require(available: bool, reason: str) -> None:
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"dependency missing (TICKETBRIDGE_REQUIRE_ALL=1): {reason}")
    pytest.skip(f"dependency missing: {reason}")


def find_binary(name: str, *extra_globs: str) -> str | None:
    """A binary on PATH, or in one of the given glob locations (Debian hides PostgreSQL's)."""
    found = shutil.which(name)
    if found:
        return found
    for pattern in extra_globs:
        matches = sorted(glob.glob(pattern))
        if matches:
            return matches[-1]
    return None


def postgres_bin(name: str) -> str | None:
    return find_binary(name, f"/usr/lib/postgresql/*/bin/{name}")
