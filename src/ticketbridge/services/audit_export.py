"""The evidence pack (`ticketbridge audit export --from --to --out DIR`): what an auditor checks
without ticketbridge.

- `events.jsonl`: the events of the range, one per line, in SPEC §8's shape (`hash` included);
- `checkpoints.txt`: every signed checkpoint the database holds, and one signed at the range's
  end (written now) — C2SP signed notes, one after another;
- `public_key.txt`: the verifier key (`<origin>+<key hash>+<key>`);
- `manifest.json`: the query, the range, count, first and last position, the root at the end
  of the range, the software version, the Merkle frontier before the range (`prefix`: the roots
  of the complete subtrees of positions 0…first-1, so the tree can be continued) and a
  consistency proof between the range's tree and each checkpoint outside the range;
- `verify.py`: `domain.audit_check` with `audit_merkle` and `audit_notes` inlined — Python's
  standard library and `cryptography` only. `python verify.py` checks the pack it sits in.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.metadata
import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ticketbridge.clock import Clock
from ticketbridge.domain import audit_check, audit_merkle, audit_notes
from ticketbridge.domain.audit_merkle import Frontier, consistency_proof
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.audit_checkpoints import AuditKeys, Checkpointer
from ticketbridge.services.audit_verify import CHUNK, AuditVerifier
from ticketbridge.services.ports import UnitOfWorkFactory

_INLINE = re.compile(r"# inline: begin.*?# inline: end\n", re.S)
_FUTURE = "from __future__ import annotations\n"


@dataclass(frozen=True)
class ExportRange:
    first: int  # position
    last: int | None  # position, inclusive; None: the end of the log
    query: dict[str, Any]  # what the caller asked for, as given (dates or positions)


@dataclass(frozen=True)
class Exported:
    directory: Path
    manifest: dict[str, Any]


def standalone_verifier() -> str:
    """verify.py: the checker with the modules it imports inlined."""
    inlined = "".join(_module_body(m) for m in (audit_merkle, audit_notes))
    source = inspect.getsource(audit_check)
    header = (
        "#!/usr/bin/env python3\n# Written by `ticketbridge audit export`; needs `cryptography`.\n"
    )
    return header + _INLINE.sub(lambda _: inlined, source, count=1)


def _module_body(module: ModuleType) -> str:
    source = inspect.getsource(module)
    docstring = inspect.getdoc(module) or ""
    body = source.split(_FUTURE, 1)[1] if _FUTURE in source else source
    return f"\n# --- {module.__name__} ({docstring.splitlines()[0] if docstring else ''})\n{body}"


class AuditExport:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        keys: AuditKeys,
        checkpointer: Checkpointer,
        verifier: AuditVerifier,
        clock: Clock,
    ) -> None:
        self._uow = uow_factory
        self._keys = keys
        self._checkpointer = checkpointer
        self._verifier = verifier
        self._clock = clock

    async def export(self, wanted: ExportRange, out: Path) -> Exported:
        await self._checkpointer.checkpoint(force=True)  # written at export
        state = await self._verifier.state()
        size = state.head.size
        end = size if wanted.last is None else min(wanted.last + 1, size)
        if not 0 <= wanted.first < end:
            raise InputError(
                "nothing to export", [Problem("from", f"the log holds positions 0…{size - 1}")]
            )
        signer = await self._keys.signing()
        sizes = {c.size for c in state.checkpoints}
        leaves = await self._verifier.leaves(max([size, *sizes]))
        if len(leaves) != size or Frontier().extend(leaves).root() != state.head.frontier.root():
            problem = Problem("log", "the events do not match the log's head")
            raise InputError("not exported: run `ticketbridge audit verify`", [problem])
        range_root = Frontier().extend(leaves[:end]).root()
        notes = [c.note for c in state.checkpoints]
        if end not in sizes:  # a checkpoint of exactly the range, signed now
            note = signer.sign(end, range_root)
            async with self._uow() as uow:
                await uow.audit.add_checkpoint(end, note, self._clock())
                await uow.commit()
            notes.append(note)
        await asyncio.to_thread(_start_pack, out, "".join(notes), signer.public.vkey)
        count = await self._write_events(out / "events.jsonl", wanted.first, end)
        prefix = Frontier().extend(leaves[: wanted.first])
        manifest = {
            "origin": signer.public.origin,
            "query": wanted.query,
            "range": {"from": wanted.first, "to": end - 1},
            "count": count,
            "first_position": wanted.first,
            "last_position": end - 1,
            "root": range_root.hex(),
            "tree_size": end,
            "software": {"name": "ticketbridge", "version": _version()},
            "prefix": [n.hex() for n in prefix.nodes],
            "proofs": _proofs(leaves, end, sizes),
        }
        text = json.dumps(manifest, indent=2) + "\n"
        await asyncio.to_thread((out / "manifest.json").write_text, text, encoding="utf-8")
        return Exported(out, manifest)

    async def _write_events(self, path: Path, first: int, end: int) -> int:
        """events.jsonl: each stored body with its hash added (the verifier re-canonicalizes)."""
        count = 0
        for start in range(first, end, CHUNK):
            lines: list[str] = []
            async with self._uow() as uow:
                async for _, body, stored in uow.audit.stream(start, min(start + CHUNK, end)):
                    lines.append(body[:-1] + f',"hash":"{stored}"}}\n')
            await asyncio.to_thread(_append, path, "".join(lines))
            count += len(lines)
        return count


def _start_pack(out: Path, checkpoints: str, vkey: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "events.jsonl").write_text("", encoding="utf-8")
    (out / "checkpoints.txt").write_text(checkpoints, encoding="utf-8")
    (out / "public_key.txt").write_text(vkey + "\n", encoding="utf-8")
    verifier = out / "verify.py"
    verifier.write_text(standalone_verifier(), encoding="utf-8")
    verifier.chmod(0o755)


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as lines:
        lines.write(text)


def _proofs(leaves: list[bytes], end: int, sizes: set[int]) -> dict[str, list[str]]:
    """A consistency proof between the range's tree and each checkpoint's (by size)."""
    proofs: dict[str, list[str]] = {}
    for size in sorted(sizes):
        if size in (0, end) or size > len(leaves):
            continue
        small, large = sorted((size, end))
        proof = consistency_proof(small, leaves[:large])
        proofs[f"{small}-{large}"] = [_b64(h) for h in proof]
    return proofs


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _version() -> str:
    try:
        return importlib.metadata.version("ticketbridge")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
