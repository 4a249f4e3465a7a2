"""Helpers of the render tests: the real ADF schema, as Atlassian publishes it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jsonschema

from support.realworld import load_json


@lru_cache(maxsize=1)
def adf_validator() -> jsonschema.Draft4Validator:
    schema = load_json("adf/adf-schema-v1-full.json")
    return jsonschema.Draft4Validator(schema)


def adf_errors(adf: Mapping[str, Any]) -> list[str]:
    """Every schema violation of `adf`, as readable lines (empty when valid)."""
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
        for error in adf_validator().iter_errors(adf)
    ]
