"""Helpers of the render tests: the real ADF schema, as Atlassian publishes it.

Validation uses jsonschema-rs (the same draft-04 semantics as `jsonschema`, ~1000× faster, so
property tests can check every example); `reference_adf_errors` uses the pure-Python
`jsonschema` for a cross-check.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jsonschema
import jsonschema_rs

from support.realworld import load_json


@lru_cache(maxsize=1)
def _schema() -> Any:
    return load_json("adf/adf-schema-v1-full.json")


@lru_cache(maxsize=1)
def _fast_validator() -> jsonschema_rs.Draft4Validator:
    return jsonschema_rs.Draft4Validator(_schema())


def adf_errors(adf: Mapping[str, Any]) -> list[str]:
    """Every schema violation of `adf`, as readable lines (empty when valid)."""
    return [
        f"{error.instance_path}: {error.message[:300]}"
        for error in _fast_validator().iter_errors(adf)
    ]


def reference_adf_errors(adf: Mapping[str, Any]) -> list[str]:
    """The same check with the pure-Python reference implementation."""
    validator = jsonschema.Draft4Validator(_schema())
    return [error.message[:300] for error in validator.iter_errors(adf)]
