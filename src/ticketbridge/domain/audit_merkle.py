"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification. Pure: no I/O.

leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right), the empty tree's root is
SHA-256(""). `Frontier` keeps the roots of the complete subtrees of the tree so far (one per
set bit of its size), so appending is O(log n) and the root needs no rebuild.

The verifiers are strict on purpose (verifier code is where the bugs are: immudb's accepted a
forged proof, a study's accepted a consistency proof from an empty tree): any index, size,
hash length or proof length out of place is a `ProofError`, never a pass. They are checked
against transparency-dev/merkle's 196 vectors (tests/unit/domain/test_audit_merkle.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not prove what it claims (or is malformed)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True)
class Frontier:
    """The tree of `size` leaves as its complete subtrees' roots, largest (leftmost) first."""

    size: int = 0
    nodes: tuple[bytes, ...] = ()

    def append(self, leaf: bytes) -> Frontier:
        """The frontier with one more leaf hash: equal-sized subtrees merge, right to left."""
        nodes = list(self.nodes)
        node, size = leaf, self.size
        while size & 1:  # each trailing set bit is a subtree as large as the one being added
            node = node_hash(nodes.pop(), node)
            size >>= 1
        nodes.append(node)
        return Frontier(self.size + 1, tuple(nodes))

    def extend(self, leaves: Sequence[bytes]) -> Frontier:
        frontier = self
        for leaf in leaves:
            frontier = frontier.append(leaf)
        return frontier

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        root = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            root = node_hash(node, root)
        return root


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaf hashes `leaves`."""
    return Frontier().extend(leaves).root()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) (RFC 9162 §2.1.3.1) over the leaf hashes of a tree of n leaves."""
    if not 0 <= index < len(leaves):
        raise ProofError(f"leaf {index} is not in a tree of {len(leaves)}")
    proof: list[bytes] = []
    start, end = 0, len(leaves)
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            proof.append(root_of(leaves[start + k : end]))
            end = start + k
        else:
            proof.append(root_of(leaves[start : start + k]))
            start += k
    proof.reverse()  # built from the root down; the proof runs from the leaf up
    return proof


def consistency_proof(size1: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(size1, D[n]) (RFC 9162 §2.1.4.1): the tree of `size1` leaves is a prefix of it."""
    if not 0 < size1 <= len(leaves):
        raise ProofError(f"no consistency proof from size {size1} to {len(leaves)}")
    proof: list[bytes] = []
    start, end, m, whole = 0, len(leaves), size1, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(root_of(leaves[start + k : end]))
            end = start + k
        else:
            proof.append(root_of(leaves[start : start + k]))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append(root_of(leaves[start:end]))
    proof.reverse()
    return proof


def _check_hashes(named: Sequence[tuple[str, bytes]]) -> None:
    for name, value in named:
        if len(value) != HASH_SIZE:
            raise ProofError(f"{name} is {len(value)} bytes, not {HASH_SIZE}")


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf `index` of a `size` tree has hash `leaf`
    under `root` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    _check_hashes([("leaf hash", leaf), ("root", root)])
    _check_hashes([(f"proof[{i}]", p) for i, p in enumerate(proof)])
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("proof is shorter than the path")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise ProofError unless `proof` shows the tree (size1, root1) is a prefix of
    (size2, root2) (RFC 9162 §2.1.4.2). A proof from the empty tree proves nothing: refused."""
    if size1 > size2:
        raise ProofError(f"size {size1} is larger than {size2}")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if size1 == 0 and root1 != EMPTY_ROOT:
            raise ProofError("the empty tree's root is SHA-256 of nothing")
        if root1 != root2:
            raise ProofError("equal sizes with different roots (a fork)")
        return
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if not proof:
        raise ProofError("empty consistency proof")
    _check_hashes([("root1", root1), ("root2", root2)])
    _check_hashes([(f"proof[{i}]", p) for i, p in enumerate(proof)])
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # the old tree is a complete subtree: its root starts the path
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof is longer than the path")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("proof is shorter than the path")
    if fr != root1:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != root2:
        raise ProofError("consistency proof does not lead to the new root")
