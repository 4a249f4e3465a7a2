"""`ticketbridge audit key|verify|prove|export|link|events` and `explain`'s trail, against a
SQLite file: exit codes, output, the pack's verifier and the proof checked offline."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbridge import bootstrap
from ticketbridge.domain.audit_merkle import leaf_hash, verify_inclusion
from ticketbridge.domain.audit_notes import open_checkpoint, parse_verifier_key
from ticketbridge.services import parse_alerts


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    monkeypatch.setenv("TICKETBRIDGE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("TICKETBRIDGE_CONFIG", raising=False)
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    from ticketbridge.cli import app

    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout  # logs go to stderr


async def _ingest(count: int) -> None:
    async with bootstrap.open_container(bootstrap.load_settings()) as container:
        payloads = [
            {"source": "generic", "id": f"a-{n}", "title": "t", "severity": "low"}
            for n in range(count)
        ]
        alerts = parse_alerts(payloads, now=container.now())
        await container.ingest.ingest(alerts, wait=True)


def _trail(runner: CliRunner, count: int = 3) -> list[dict[str, object]]:
    assert invoke(runner, "db", "upgrade")[0] == 0
    asyncio.run(_ingest(count))
    code, out = invoke(runner, "audit", "events")
    assert code == 0, out
    return [json.loads(chunk) for chunk in out.replace("}\n{", "}\0{").split("\0")]


def test_verify_passes_then_names_an_edited_position(runner: CliRunner, tmp_path: Path) -> None:
    events = _trail(runner)
    assert len(events) == 6  # ALERT_RECEIVED and ROUTED for each
    code, out = invoke(runner, "audit", "verify")
    assert code == 0, out
    assert "the trail verifies" in out
    with sqlite3.connect(tmp_path / "tb.db") as db:
        db.execute("UPDATE audit_events SET body = replace(body, 'a-1', 'a-9') WHERE position = 2")
    code, out = invoke(runner, "audit", "verify", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["findings"][0]["position"] == 2
    assert report["findings"][0]["kind"] == "edited"


def test_prove_writes_a_proof_an_auditor_checks_with_the_key(runner: CliRunner) -> None:
    events = _trail(runner)
    code, vkey = invoke(runner, "audit", "key")
    assert code == 0, vkey
    code, proof = invoke(runner, "audit", "prove", str(events[3]["id"]))
    assert code == 0, proof
    head, _, note = proof.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    body = base64.b64decode(lines[1].removeprefix("extra "))
    assert {**json.loads(body), "hash": events[3]["hash"]} == events[3]
    index = int(lines[2].removeprefix("index "))
    hashes = [base64.b64decode(h) for h in lines[3:]]
    checkpoint = open_checkpoint(note, parse_verifier_key(vkey))
    verify_inclusion(index, checkpoint.size, leaf_hash(body), hashes, checkpoint.root)
    assert invoke(runner, "audit", "prove", "evt_0000")[0] == 2
    assert invoke(runner, "audit", "prove", "nonsense")[0] == 2


def test_export_writes_a_pack_its_own_verifier_passes(runner: CliRunner, tmp_path: Path) -> None:
    _trail(runner, count=5)
    out = tmp_path / "pack"
    code, text = invoke(runner, "audit", "export", "--from", "2", "--to", "7", "--out", str(out))
    assert code == 0, text
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["count"], manifest["first_position"], manifest["last_position"]) == (6, 2, 7)
    assert manifest["software"]["name"] == "ticketbridge"
    done = subprocess.run(
        [sys.executable, str(out / "verify.py")], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("OK")
    assert invoke(runner, "audit", "export", "--from", "yesterday", "--out", str(out))[0] == 2


def test_link_and_explain_list_the_alerts_events(runner: CliRunner) -> None:
    events = _trail(runner, count=1)
    code, out = invoke(runner, "audit", "link", str(events[0]["id"]), "OPS-7")
    assert code == 0, out
    code, out = invoke(runner, "explain", "a-0", "--json")
    assert code == 0, out
    types = [e["type"] for e in json.loads(out)["audit_events"]]
    assert types == ["ALERT_RECEIVED", "ROUTED", "LINK_ADDED"]
    code, out = invoke(runner, "audit", "events", "--ticket", "OPS-7")
    link = json.loads(out)
    assert link["links"] == [
        {"type": "AUDIT_EVENT", "externalId": events[0]["id"]},
        {"type": "JIRA_TICKET", "externalId": "OPS-7"},
    ]
    assert invoke(runner, "audit", "link", "evt_00", "OPS-7")[0] == 2
