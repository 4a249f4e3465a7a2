"""Fixtures of the render tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from render_support import adf_errors


@pytest.fixture
def assert_valid_adf() -> Callable[[Mapping[str, Any]], None]:
    """Fails with every schema violation listed when an ADF value is not valid."""

    def check(adf: Mapping[str, Any]) -> None:
        errors = adf_errors(adf)
        assert not errors, "\n".join(errors)

    return check
