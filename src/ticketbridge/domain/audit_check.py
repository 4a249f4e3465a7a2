"""Checking an audit log: the hash chain, gap-free positions, the Merkle root at every signed
checkpoint, forks between checkpoints. One pass, O(log n) memory; names the first bad
position or checkpoint.

`ticketbridge audit verify` feeds it the database's rows; the evidence pack's standalone
verifier (services.audit_export writes this module with audit_merkle and audit_notes inlined,
and `main` below) feeds it `events.jsonl`. So both catch the same tampering. Standard library
and `cryptography` only: nothing else of ticketbridge may be imported here.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# inline: begin (the evidence pack's verifier has these modules' text here instead)
from ticketbridge.domain.audit_merkle import Frontier, ProofError, leaf_hash, verify_consistency
from ticketbridge.domain.audit_notes import (
    Checkpoint,
    NoteError,
    open_checkpoint,
    parse_verifier_key,
    split_notes,
)

# inline: end

_loads: Callable[[bytes], Any] = json.loads
try:  # the database's verify runs at orjson's speed; the evidence pack's needs only json
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover - the standalone verifier where orjson is not installed
    pass

GENESIS = "0" * 64
"""The `prev_hash` of position 0."""


@dataclass(frozen=True)
class Finding:
    """One thing wrong: `position` or `checkpoint` (its label) names where."""

    kind: str  # edited | missing | reordered | chain | rewritten | truncated | fork | signature
    message: str
    position: int | None = None
    checkpoint: str | None = None


@dataclass
class HeldCheckpoint:
    label: str  # where it came from: "database #12", "sink:line 40", the file name
    checkpoint: Checkpoint


@dataclass
class Report:
    events: int = 0
    first_position: int = 0
    root: bytes = b""
    checkpoints_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "first_position": self.first_position,
            "size": self.first_position + self.events,
            "root": base64.b64encode(self.root).decode(),
            "checkpoints_checked": self.checkpoints_checked,
            "findings": [f.__dict__ for f in self.findings],
        }


def open_notes(
    notes: Iterable[tuple[str, str]], vkey: str, origin: str | None
) -> tuple[list[HeldCheckpoint], list[Finding]]:
    """The checkpoints of (label, note) pairs signed by `vkey`; a finding for each other."""
    verifier = parse_verifier_key(vkey)
    held: list[HeldCheckpoint] = []
    findings: list[Finding] = []
    for label, note in notes:
        try:
            checkpoint = open_checkpoint(note, verifier)
        except NoteError as err:
            findings.append(Finding("signature", f"checkpoint {label}: {err}", checkpoint=label))
            continue
        if origin is not None and checkpoint.origin != origin:
            message = f"checkpoint {label} is for {checkpoint.origin}, not {origin}"
            findings.append(Finding("signature", message, checkpoint=label))
            continue
        held.append(HeldCheckpoint(label, checkpoint))
    return held, findings


def forks(held: Sequence[HeldCheckpoint]) -> list[Finding]:
    """Two checkpoints of one size with different roots: two different logs were signed."""
    seen: dict[int, HeldCheckpoint] = {}
    found: list[Finding] = []
    for item in held:
        first = seen.setdefault(item.checkpoint.size, item)
        if first.checkpoint.root != item.checkpoint.root:
            message = (
                f"fork: checkpoints {first.label} and {item.label} both sign size "
                f"{item.checkpoint.size} with different roots"
            )
            found.append(Finding("fork", message, checkpoint=item.label))
    return found


class LogChecker:
    """Feed `add` the events in position order from `first`; then `finish`."""

    def __init__(
        self,
        held: Sequence[HeldCheckpoint],
        *,
        first: int = 0,
        prefix: Sequence[bytes] = (),
        held_later: Callable[[int], bool] | None = None,
    ) -> None:
        self._by_size: dict[int, list[HeldCheckpoint]] = {}
        for item in held:
            self._by_size.setdefault(item.checkpoint.size, []).append(item)
        self._frontier = Frontier(first, tuple(prefix))
        if len(prefix) != first.bit_count():
            raise ValueError(f"a tree of {first} leaves has {first.bit_count()} subtree roots")
        self._prev: str | None = GENESIS if first == 0 else None
        # Whether a position skipped over comes later (moved) or not at all (deleted).
        self._held_later = held_later
        self.report = Report(first_position=first)
        self._broken = False
        self._check_size()

    @property
    def broken(self) -> bool:
        """A problem was found: what follows cannot be judged against the tree."""
        return self._broken

    @property
    def last_hash(self) -> str | None:
        return self._prev

    def add(self, position: int, body: bytes, stored_hash: str) -> None:
        """One event: its position as stored, its canonical body (all but `hash`), its hash."""
        if self._broken:
            return
        expected = self._frontier.size
        problem = self._problem(expected, position, body, stored_hash)
        if problem is not None:
            self.report.findings.append(problem)
            self._broken = True  # what follows a break cannot be judged against the tree
            return
        self._prev = stored_hash
        self._frontier = self._frontier.append(leaf_hash(body))
        self.report.events += 1
        self._check_size()

    def _problem(self, expected: int, position: int, body: bytes, stored: str) -> Finding | None:
        if position > expected:
            if self._held_later is not None and self._held_later(expected):
                moved = f"position {expected} comes after {position}: reordered"
                return Finding("reordered", moved, position=expected)
            missing = f"position {expected} is missing (next stored is {position}): deleted"
            return Finding("missing", missing, position=expected)
        if position < expected:
            return Finding("reordered", f"position {position} again after {expected - 1}", position)
        try:
            doc = _loads(body)
        except ValueError:
            return Finding("edited", f"position {position}: not JSON", position=position)
        if not isinstance(doc, dict):
            return Finding("edited", f"position {position}: not an event", position=position)
        if doc.get("position") != position:
            said = doc.get("position")
            message = f"position {position} holds the event of position {said}: reordered"
            return Finding("reordered", message, position=position)
        if hashlib.sha256(body).hexdigest() != stored:
            message = f"position {position}: the hash does not match its content: edited"
            return Finding("edited", message, position=position)
        if self._prev is not None and doc.get("prev_hash") != self._prev:
            message = f"position {position}: prev_hash is not the hash of {position - 1}"
            return Finding("chain", message, position=position)
        return None

    def _check_size(self) -> None:
        size = self._frontier.size
        for item in self._by_size.pop(size, []):
            self.report.checkpoints_checked += 1
            if item.checkpoint.root != self._frontier.root():
                message = (
                    f"checkpoint {item.label} (size {size}) does not match the log's root at "
                    f"that size: the log was rewritten before position {size}"
                )
                self.report.findings.append(Finding("rewritten", message, checkpoint=item.label))

    def finish(self) -> Report:
        self.report.root = self._frontier.root()
        if self._broken:
            return self.report
        for size in sorted(self._by_size):
            for item in self._by_size[size]:
                if size < self._frontier.size:
                    continue  # before the range checked: the caller proves it by consistency
                message = (
                    f"checkpoint {item.label} signs {size} events but the log ends at "
                    f"{self._frontier.size}: the tail was truncated"
                )
                finding = Finding("truncated", message, self._frontier.size, item.label)
                self.report.findings.append(finding)
        return self.report


# --- the evidence pack -------------------------------------------------------------------------


def check_pack(
    pack: Path, vkey: str | None = None, extra: Sequence[tuple[str, str]] = ()
) -> Report:
    """Everything in an `audit export` directory: events, checkpoints, consistency proofs.
    `vkey`: the key the auditor knows (`ticketbridge audit key`), else the pack's own;
    `extra`: (label, note) checkpoints kept elsewhere (the sink's file)."""
    manifest = json.loads((pack / "manifest.json").read_text())
    vkey = vkey or (pack / "public_key.txt").read_text().strip()
    notes = split_notes((pack / "checkpoints.txt").read_text())
    labelled = [(f"checkpoints.txt#{i + 1}", n) for i, n in enumerate(notes)] + list(extra)
    held, findings = open_notes(labelled, vkey, manifest["origin"])
    first = int(manifest["first_position"])
    end = int(manifest["tree_size"])
    prefix = [bytes.fromhex(h) for h in manifest["prefix"]]
    inside = [h for h in held if first < h.checkpoint.size <= end]
    with (pack / "events.jsonl").open("rb") as lines:
        events = [_pack_event(line, first + number) for number, line in enumerate(lines)]
    positions = {position for position, _, _ in events}
    checker = LogChecker(inside, first=first, prefix=prefix, held_later=positions.__contains__)
    for position, body, stored in events:
        checker.add(position, body, stored)
    report = checker.finish()
    report.findings[:0] = findings + forks(held)
    if not any(h.checkpoint.size == end for h in held):
        message = f"no checkpoint signed by the key covers the pack's {end} events"
        report.findings.append(Finding("signature", message, checkpoint="manifest"))
    report.findings.extend(_outside(held, first, end, report.root, manifest.get("proofs", {})))
    return report


_HASH_KEY = b',"hash":"'
_SUFFIX = len(_HASH_KEY) + 64 + 2  # ,"hash":"<64 hex>"}


def _pack_event(line: bytes, expected: int) -> tuple[int, bytes, str]:
    """(position, body, hash) of one events.jsonl line: the stored body (the bytes hashed)
    with `,"hash":"<hex>"` before its closing brace, so the body is recovered byte for byte."""
    line = line.rstrip(b"\r\n")
    tail = line[-_SUFFIX:]
    if len(line) <= _SUFFIX or not (tail.startswith(_HASH_KEY) and tail.endswith(b'"}')):
        return expected, b"not an event line", ""
    stored = tail[len(_HASH_KEY) : -2].decode("ascii", "replace")
    body = line[:-_SUFFIX] + b"}"
    try:
        position = _loads(body).get("position", expected)
    except (ValueError, AttributeError):
        position = expected
    return position if isinstance(position, int) else expected, body, stored


def _outside(
    held: Sequence[HeldCheckpoint], first: int, end: int, root: bytes, proofs: dict[str, Any]
) -> list[Finding]:
    """Checkpoints outside the exported range, held to the range's tree by consistency."""
    found: list[Finding] = []
    for item in held:
        size = item.checkpoint.size
        if first < size <= end:
            continue
        small, large = sorted([(size, item.checkpoint.root), (end, root)])
        proof = [base64.b64decode(p) for p in proofs.get(f"{small[0]}-{large[0]}", [])]
        try:
            verify_consistency(small[0], large[0], proof, small[1], large[1])
        except ProofError as err:
            message = (
                f"checkpoint {item.label} (size {size}) is not consistent with the pack: {err}"
            )
            found.append(Finding("rewritten", message, checkpoint=item.label))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a ticketbridge audit evidence pack.")
    parser.add_argument("pack", nargs="?", default=str(Path(__file__).resolve().parent))
    parser.add_argument("--key", help="the verifier key you know (ticketbridge audit key)")
    parser.add_argument("--checkpoints", help="a file of checkpoints kept outside (the sink)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    extra: list[tuple[str, str]] = []
    if args.checkpoints:
        kept = split_notes(Path(args.checkpoints).read_text(encoding="utf-8"))
        extra = [(f"{Path(args.checkpoints).name}#{i + 1}", n) for i, n in enumerate(kept)]
    report = check_pack(Path(args.pack), args.key, extra)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        size = report.first_position + report.events
        print(f"events {report.first_position}..{size - 1}: {report.events} checked")
        print(f"checkpoints checked: {report.checkpoints_checked}")
        for finding in report.findings:
            print(f"FAIL {finding.kind}: {finding.message}")
        print("OK" if report.ok else "TAMPERED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
