"""The Merkle core against transparency-dev/merkle's 196 proof vectors (RFC 6962), plus the
generators against the verifiers over every (index, size) of small trees."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from support.realworld import REALWORLD
from ticketbridge.domain.audit_merkle import (
    EMPTY_ROOT,
    Frontier,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

VECTORS = REALWORLD / "merkle-vectors"


def _vectors(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in vector["proof"] or []]


def _id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def test_all_196_vectors_are_there() -> None:
    assert len(_vectors("inclusion")) + len(_vectors("consistency")) == 196


@pytest.mark.parametrize("path", _vectors("inclusion"), ids=_id)
def test_inclusion_vector(path: Path) -> None:
    v = json.loads(path.read_text())
    args = (v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), _proof(v), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _vectors("consistency"), ids=_id)
def test_consistency_vector(path: Path) -> None:
    v = json.loads(path.read_text())
    args = (v["size1"], v["size2"], _proof(v), _b64(v["root1"]), _b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


LEAVES = [leaf_hash(bytes([i]) * i) for i in range(1, 34)]


def test_the_frontier_root_is_the_rfc_root_at_every_size() -> None:
    frontier = Frontier()
    assert frontier.root() == EMPTY_ROOT
    for n, leaf in enumerate(LEAVES, start=1):
        frontier = frontier.append(leaf)
        assert frontier.size == n
        assert len(frontier.nodes) == bin(n).count("1")  # O(log n) state
        assert frontier.root() == _reference_root(LEAVES[:n])


def _reference_root(leaves: list[bytes]) -> bytes:
    """MTH as RFC 6962 §2.1 writes it, recursively."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


def test_generated_inclusion_proofs_verify_and_no_other_leaf_does() -> None:
    for n in range(1, len(LEAVES) + 1):
        root = root_of(LEAVES[:n])
        for i in range(n):
            proof = inclusion_proof(i, LEAVES[:n])
            verify_inclusion(i, n, LEAVES[i], proof, root)
            with pytest.raises(ProofError):
                verify_inclusion(i, n, LEAVES[(i + 1) % len(LEAVES)], proof, root)
            if n > 1:  # the same leaf claimed at another index
                with pytest.raises(ProofError):
                    verify_inclusion((i + 1) % n, n, LEAVES[i], proof, root)


def test_generated_consistency_proofs_verify_and_a_fork_does_not() -> None:
    for n in range(1, len(LEAVES) + 1):
        root2 = root_of(LEAVES[:n])
        for m in range(1, n + 1):
            proof = consistency_proof(m, LEAVES[:n])
            verify_consistency(m, n, proof, root_of(LEAVES[:m]), root2)
            forked = [*LEAVES[: m - 1], leaf_hash(b"forged")]
            with pytest.raises(ProofError):
                verify_consistency(m, n, proof, root_of(forked), root2)


def test_a_proof_from_the_empty_tree_is_refused() -> None:
    with pytest.raises(ProofError):
        verify_consistency(0, 1, [], EMPTY_ROOT, LEAVES[0])
    with pytest.raises(ProofError):
        consistency_proof(0, LEAVES[:1])
