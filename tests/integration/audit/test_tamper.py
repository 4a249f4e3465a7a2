"""The tamper suite: each way of altering a trail is caught, naming the first bad position or
checkpoint — by `ticketbridge audit verify` (the service it runs) on the database, and by the
evidence pack's standalone verifier (`python verify.py`, a subprocess) on an exported pack."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from audit_harness import T0, append, trail_for
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from ticketbridge.bootstrap.audit import FileSink
from ticketbridge.domain.audit import canonical
from ticketbridge.domain.audit_merkle import Frontier, leaf_hash
from ticketbridge.domain.audit_notes import checkpoint_text, sign, split_notes
from ticketbridge.services.audit_export import ExportRange
from ticketbridge.services.audit_service import AuditTrail
from ticketbridge.storage import Database

EVENTS = 40


async def _built(database: Database, tmp_path: Path) -> tuple[AuditTrail, Path]:
    """40 events, a checkpoint after every 10 (in the database and the sink file)."""
    sink = tmp_path / "sink.txt"
    trail = trail_for(database, tmp_path, FileSink(sink))
    for batch in range(4):
        await append(database, 10, per_batch=5, start=batch * 10)
        await trail.checkpointer.checkpoint(force=True)
    assert (await trail.verifier.verify()).ok
    return trail, sink


async def _sql(database: Database, statement: str, **values: Any) -> None:
    async with database.unit_of_work() as uow:
        await uow._conn.execute(text(statement), values)
        await uow._conn.commit()


async def _rows(database: Database) -> list[tuple[int, str, str]]:
    async with database.unit_of_work() as uow:
        return [(p, b, h) async for p, b, h in uow.audit.stream()]


def _first(report: Any) -> Any:
    assert not report.ok
    return report.findings[0]


# --- the database, through `audit verify` ---------------------------------------------------


async def test_an_edit_names_its_position(database: Database, tmp_path: Path) -> None:
    trail, _ = await _built(database, tmp_path)
    await _sql(
        database,
        "UPDATE audit_events SET body = replace(body, 'event 17', 'event 71') WHERE position = 17",
    )
    finding = _first(await trail.verifier.verify())
    assert (finding.kind, finding.position) == ("edited", 17)


async def test_a_deletion_names_the_missing_position(database: Database, tmp_path: Path) -> None:
    trail, _ = await _built(database, tmp_path)
    await _sql(database, "DELETE FROM audit_events WHERE position = 17")
    finding = _first(await trail.verifier.verify())
    assert (finding.kind, finding.position) == ("missing", 17)


async def test_a_reorder_names_the_first_moved_position(database: Database, tmp_path: Path) -> None:
    trail, _ = await _built(database, tmp_path)
    rows = {p: (b, h) for p, b, h in await _rows(database)}
    for position, other in ((17, 18), (18, 17)):
        body, hashed = rows[other]
        await _sql(
            database,
            "UPDATE audit_events SET body = :b, hash = :h WHERE position = :p",
            b=body, h=hashed, p=position,
        )  # fmt: skip
    finding = _first(await trail.verifier.verify())
    assert (finding.kind, finding.position) == ("reordered", 17)


async def test_a_truncated_tail_is_caught(database: Database, tmp_path: Path) -> None:
    trail, _ = await _built(database, tmp_path)
    await _sql(database, "DELETE FROM audit_events WHERE position >= 35")
    finding = _first(await trail.verifier.verify())
    assert finding.kind == "truncated"
    assert finding.position == 35


async def _rewrite_and_rehash(database: Database) -> None:
    """Edit position 17, re-hash the chain after it, rewrite the head, drop the database's
    checkpoints: the database alone is consistent again."""
    rows = await _rows(database)
    prev = rows[16][2]
    frontier = Frontier().extend([leaf_hash(b.encode()) for _, b, _ in rows[:17]])
    for position, body, _ in rows[17:]:
        doc = json.loads(body)
        doc["prev_hash"] = prev
        if position == 17:
            doc["payload"]["text"] = "rewritten"
        new_body = canonical(doc)
        prev = hashlib.sha256(new_body).hexdigest()
        frontier = frontier.append(leaf_hash(new_body))
        await _sql(
            database,
            "UPDATE audit_events SET body = :b, hash = :h WHERE position = :p",
            b=new_body.decode(), h=prev, p=position,
        )  # fmt: skip
    nodes = json.dumps([n.hex() for n in frontier.nodes])
    await _sql(database, "UPDATE audit_head SET last_hash = :h, frontier = :f", h=prev, f=nodes)
    await _sql(database, "DELETE FROM audit_checkpoints")


async def test_a_rewrite_with_rehashing_is_caught_by_the_external_checkpoints(
    database: Database, tmp_path: Path
) -> None:
    trail, sink = await _built(database, tmp_path)
    await _rewrite_and_rehash(database)
    assert (await trail.verifier.verify()).ok  # what the database alone cannot show
    notes = sink.read_text()
    external = [(f"sink.txt#{i + 1}", n) for i, n in enumerate(split_notes(notes))]
    finding = _first(await trail.verifier.verify(external))
    assert finding.kind == "rewritten"
    assert finding.checkpoint == "sink.txt#2"  # size 20: the first that covers position 17


async def _add_note(database: Database, size: int, note: str) -> None:
    async with database.unit_of_work() as uow:
        await uow.audit.add_checkpoint(size, note, T0)
        await uow.commit()


async def test_a_fork_is_two_checkpoints_of_one_size(database: Database, tmp_path: Path) -> None:
    trail, _ = await _built(database, tmp_path)
    key = await trail.keys.signing()
    await _add_note(database, 20, key.sign(20, hashlib.sha256(b"another log").digest()))
    finding = _first(await trail.verifier.verify())
    assert finding.kind == "fork"
    assert "size 20" in finding.message


async def test_a_checkpoint_signed_by_another_key_is_named(
    database: Database, tmp_path: Path
) -> None:
    trail, _ = await _built(database, tmp_path)
    origin = (await trail.keys.signing()).public.origin
    root = hashlib.sha256(b"x").digest()
    forged = sign(checkpoint_text(origin, 40, root), origin, Ed25519PrivateKey.generate())
    await _add_note(database, 40, forged)
    finding = _first(await trail.verifier.verify())
    assert finding.kind == "signature"
    assert finding.checkpoint == "database #5"


# --- the evidence pack, through its standalone verify.py -------------------------------------


def _run(pack: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(pack / "verify.py"), str(pack), "--json", *args],
        capture_output=True, text=True, timeout=60, check=False, cwd=pack,
    )  # fmt: skip
    report: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == (0 if report["ok"] else 1), done.stderr
    return report


def _lines(pack: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (pack / "events.jsonl").read_text().splitlines()]


def _line(doc: dict[str, Any]) -> str:
    """An events.jsonl line as export writes it: the body, `hash` added before its brace."""
    body = canonical({k: v for k, v in doc.items() if k != "hash"}).decode()
    return body[:-1] + f',"hash":"{doc["hash"]}"}}\n'


def _write(pack: Path, docs: list[dict[str, Any]]) -> None:
    (pack / "events.jsonl").write_text("".join(_line(d) for d in docs))


def _edit(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    docs[17 - 5]["payload"]["text"] = "edited"
    return docs


def _rehash(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    _edit(docs)
    prev = docs[17 - 6]["hash"]
    for doc in docs[17 - 5 :]:
        doc["prev_hash"] = prev
        del doc["hash"]
        prev = doc["hash"] = hashlib.sha256(canonical(doc)).hexdigest()
    return docs


PACK_CASES: dict[str, tuple[Callable[[list[dict[str, Any]]], list[dict[str, Any]]], str, Any]] = {
    "edit": (_edit, "edited", 17),
    "delete": (lambda d: d[: 17 - 5] + d[17 - 4 :], "missing", 17),
    "reorder": (lambda d: [*d[: 17 - 5], d[18 - 5], d[17 - 5], *d[19 - 5 :]], "reordered", 17),
    "truncate": (lambda d: d[:-5], "truncated", 30),
    "rehash": (_rehash, "rewritten", None),
}


@pytest.fixture
async def pack(database: Database, tmp_path: Path) -> tuple[Path, AuditTrail, Path]:
    trail, sink = await _built(database, tmp_path)
    out = tmp_path / "pack"
    await trail.exporter.export(ExportRange(5, 34, {"from": "5", "to": "34"}), out)
    return out, trail, sink


async def test_the_exported_pack_verifies(pack: tuple[Path, AuditTrail, Path]) -> None:
    out, trail, sink = pack
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["count"], manifest["first_position"], manifest["last_position"]) == (30, 5, 34)
    key = (await trail.keys.signing()).public.vkey
    report = _run(out, "--key", key, "--checkpoints", str(sink))
    assert report["ok"], report["findings"]
    # 10, 20, 30 from the pack and from the sink, and 35 (signed at export)
    assert report["checkpoints_checked"] == 7


@pytest.mark.parametrize("case", sorted(PACK_CASES))
async def test_the_pack_verifier_catches(
    case: str, pack: tuple[Path, AuditTrail, Path], tmp_path: Path
) -> None:
    out, _, _ = pack
    tampered = tmp_path / f"tampered-{case}"
    shutil.copytree(out, tampered)
    change, kind, position = PACK_CASES[case]
    _write(tampered, change(_lines(tampered)))
    finding = _run(tampered)["findings"][0]
    assert finding["kind"] == kind, finding
    if position is not None:
        assert finding["position"] == position


async def test_the_pack_verifier_catches_a_fork_and_another_key(
    pack: tuple[Path, AuditTrail, Path], tmp_path: Path
) -> None:
    out, trail, _ = pack
    key = await trail.keys.signing()
    forked = tmp_path / "forked"
    shutil.copytree(out, forked)
    with (forked / "checkpoints.txt").open("a") as notes:
        notes.write(key.sign(20, hashlib.sha256(b"another log").digest()))
    assert _run(forked)["findings"][0]["kind"] == "fork"
    stranger = tmp_path / "stranger"
    shutil.copytree(out, stranger)
    origin = key.public.origin
    other = Ed25519PrivateKey.generate()
    root = base64.b64decode(base64.b64encode(hashlib.sha256(b"y").digest()))
    with (stranger / "checkpoints.txt").open("a") as notes:
        notes.write(sign(checkpoint_text(origin, 35, root), origin, other))
    finding = _run(stranger)["findings"][0]
    assert finding["kind"] == "signature"
    assert finding["checkpoint"] == "checkpoints.txt#6"
