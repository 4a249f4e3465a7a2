"""Paths to ../shared/realworld (Atlassian's specs, recorded traffic, real webhook deliveries)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
REALWORLD = REPO.parent / "shared" / "realworld"
SEEDS = REPO.parent / "shared" / "seeds"


def load_json(relative: str) -> Any:
    return json.loads((REALWORLD / relative).read_text())
