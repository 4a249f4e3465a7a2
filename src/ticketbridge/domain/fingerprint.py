"""Fingerprints: the dedup key. Given by the source, or derived from configured fields.

A derived fingerprint is a stable hash (SHA-256 of canonical JSON) of the values at the
configured dotted paths, so the same inputs give the same key in every process and release.

The key is stored scoped by the alert's source, `<source>:<key>` (`scoped_fingerprint`): an
alert's source is its authenticated caller's, so a caller can fold alerts only into tickets of
the sources it speaks for. Without the scope, a key granted `generic` could post a decoy with
a Keeptrusts alert's fingerprint (anyone can compute a derived one) and the genuine alert would
become a repeat on the decoy's ticket.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

# Why these: one ticket per thing a human would fix once. A policy violated by one model
# through one gateway is one problem; a compliance control is one problem until it passes;
# an escalation or a GitHub event is its own thing. Alertmanager sends its own fingerprint.
# TruthVouch hallucination alerts rarely carry a policy or model, so the title takes part: without
# it every hallucination of a site would fold into one ticket.
DEFAULT_FINGERPRINT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "generic": ("source", "kind", "title"),
    "truthvouch": ("source", "kind", "title", "attributes.policy_name", "attributes.model"),
    "keeptrusts": ("source", "id"),
    "compliance": ("source", "attributes.framework", "attributes.control_id"),
    "security": ("source", "kind", "title", "attributes.host"),
    "alertmanager": ("source", "attributes.labels"),
    "github": ("source", "id"),
}
_FALLBACK_FIELDS = ("source", "kind", "title")
MAX_FINGERPRINT = 255  # the stored column's width


def fingerprint_fields_for(
    source: str, configured: Mapping[str, Sequence[str]] | None = None
) -> tuple[str, ...]:
    """The fields to hash for `source`: configured ones win, then the per-source default."""
    if configured and source in configured:
        return tuple(configured[source])
    return DEFAULT_FINGERPRINT_FIELDS.get(source, _FALLBACK_FIELDS)


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`attributes.control_id`), or None when any part is absent."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def derive_fingerprint(alert_data: Mapping[str, Any], fields: Sequence[str]) -> str:
    """A stable hex digest of the values at `fields` in `alert_data` (the alert as plain data)."""
    values = [[path, lookup(alert_data, path)] for path in fields]
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def scoped_fingerprint(source: str, key: str) -> str:
    """The stored dedup key of `source`'s alert keyed `key`: `<source>:<key>`, always (a key
    that already looks scoped is scoped again: two sources never meet). A scoped key over the
    column's width keeps its source and a hash of the key. Migration 0006 applies the same rule
    to what was stored before."""
    scoped = f"{source}:{key}"
    if len(scoped) <= MAX_FINGERPRINT:
        return scoped
    return f"{source}:sha256:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
