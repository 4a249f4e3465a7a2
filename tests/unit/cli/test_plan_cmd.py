"""`ticketbridge plan` and `ticketbridge replay`: output, JSON, exit codes (CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ticketbridge.cli import app

CONFIG = """\
defaults: {project: OPS, labels: [ai], min_severity: medium}
routes:
  - name: hallucinations
    when: 'kind == "hallucination" && confidence < 0.5'
    issue_type: Bug
    priority: Highest
    template: builtin/hallucination_bug
    fields: {Model: "{{ alert.attributes.model }}"}
    due: +2d
  - name: noise
    when: 'kind == "heartbeat"'
    action: ignore
"""


def alert(alert_id: str, kind: str = "hallucination", **extra: Any) -> dict[str, Any]:
    return {
        "id": alert_id,
        "source": "truthvouch",
        "kind": kind,
        "title": "Model invented a citation",
        "severity": "high",
        "confidence": 0.2,
        "occurred_at": "2026-11-20T10:00:00Z",
        "attributes": {"model": "gpt-4o"},
        **extra,
    }


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in ("TICKETBRIDGE_SECRET_KEY", "TICKETBRIDGE_CONFIG", "TICKETBRIDGE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    Path("tb.yaml").write_text(CONFIG)
    return CliRunner()


def test_plan_shows_route_decision_fields_and_adf(runner: CliRunner) -> None:
    Path("a.json").write_text(json.dumps(alert("a-1")))
    result = runner.invoke(app, ["plan", "a.json", "-c", "tb.yaml", "--offline"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "hallucinations" in out
    assert "Hallucination: Model invented a citation" in out
    assert "2026-11-22" in out  # due +2d
    assert "field Model" in out
    assert '"gpt-4o"' in out
    assert "ADF (Jira Cloud)" in out
    assert '{"type": "heading", "attrs": {"level": 2}' in out


def test_plan_json_from_stdin(runner: CliRunner) -> None:
    lines = "\n".join(json.dumps(a) for a in (alert("a-1"), alert("h-1", kind="heartbeat")))
    result = runner.invoke(app, ["plan", "-", "-c", "tb.yaml", "--offline", "--json"], input=lines)
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.output)
    assert first["route"] == "hallucinations"
    assert first["decision"] == "create"
    issue = first["issue"]
    assert (issue["project"], issue["issue_type"], issue["priority"]) == ("OPS", "Bug", "Highest")
    assert issue["labels"] == ["ai"]
    assert issue["fields"] == {"Model": "gpt-4o"}
    assert issue["due_date"] == "2026-11-22"
    assert issue["description"]["type"] == "doc"
    assert (second["route"], second["decision"], "issue" in second) == ("noise", "ignore", False)


def test_plan_native_source_payload(runner: CliRunner) -> None:
    payload = {
        "escalation_id": "esc_1",
        "policy_name": "pii",
        "action": "block",
        "model": "gpt-4o",
        "timestamp": "2026-03-02T14:22:11Z",
    }
    Path("k.json").write_text(json.dumps(payload))
    result = runner.invoke(
        app, ["plan", "k.json", "-c", "tb.yaml", "--offline", "--json", "-s", "keeptrusts"]
    )
    assert result.exit_code == 0, result.output
    (planned,) = json.loads(result.output)
    assert planned["alert"] == {"source": "keeptrusts", "id": "esc_1"}
    assert planned["issue"]["priority"] == "Highest"  # block → Highest


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["plan", "a.json"], "{not json", "not JSON"),
        (["plan", "a.json"], '{"title": "no severity"}', "[0].severity"),
        (["plan", "missing.json"], None, "cannot read alerts"),
        (["plan", "a.json", "-s", "nope"], "{}", "--source"),
        (["replay", "a.json"], "[1, 2]", "expected an alert object"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    runner: CliRunner, args: list[str], content: str | None, message: str
) -> None:
    if content is not None:
        Path("a.json").write_text(content)
    result = runner.invoke(app, [*args, "-c", "tb.yaml"])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_replay_predicts_issues_dedup_ratio_and_routes(runner: CliRunner) -> None:
    history = [alert(f"a-{n}", fingerprint="same") for n in range(4)]
    history += [alert("b-1", fingerprint="other"), alert("h-1", kind="heartbeat")]
    history.append(alert("x-1", kind="other", confidence=None))
    Path("h.jsonl").write_text("\n".join(json.dumps(a) for a in history))
    result = runner.invoke(app, ["replay", "h.jsonl", "-c", "tb.yaml", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["alerts"] == 7
    assert stats["predicted_issues"] == 3  # same, other, and x-1 on the defaults
    assert stats["ticketable_alerts"] == 6
    assert stats["dedup_ratio"] == 0.5
    assert stats["routes"] == {
        "defaults": {"alerts": 1, "issues": 1},
        "hallucinations": {"alerts": 5, "issues": 2},
        "noise": {"alerts": 1, "issues": 0},
    }
    text = runner.invoke(app, ["replay", "h.jsonl", "-c", "tb.yaml"])
    assert text.exit_code == 0
    assert "dedup ratio:       50.0%" in text.output
    assert "hallucinations" in text.output


def test_plan_reports_a_route_that_cannot_be_evaluated_and_goes_on(runner: CliRunner) -> None:
    # `tags.exists(…)` over 10,000 items exceeds CEL's iteration budget: plan printed a
    # traceback; now the route is skipped with the reason and the next one decides.
    config = CONFIG.replace(
        "routes:\n",
        "routes:\n  - {name: tagged, when: 'attributes.tags.exists(t, t == \"x\")', project: T}\n",
    )
    Path("tb.yaml").write_text(config)
    Path("a.json").write_text(
        json.dumps(alert("a-1", attributes={"model": "m", "tags": ["a"] * 10_000}))
    )
    result = runner.invoke(app, ["plan", "a.json", "-c", "tb.yaml", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    (planned,) = json.loads(result.output)
    assert planned["route"] == "hallucinations"
    assert planned["reasons"][0].startswith(
        "route 'tagged' did not match: could not be evaluated: CEL's budget of 10,000 iterations"
    )
    text = runner.invoke(app, ["plan", "a.json", "-c", "tb.yaml", "--offline"])
    assert text.exit_code == 0, text.output
    assert "route 'tagged' did not match: could not be evaluated" in text.output
    assert "Traceback" not in text.output
