"""The README's "Try a seed's journey", followed as written, one case per seed: `ticketbridge
dev` with the environment, example configuration and emulator seed the journey's first block
names, then its second block pasted into a shell (the `ticketbridge` lines run afterwards, in
dev's directory, as the second terminal would); the emulated Jira read over HTTP and the
commands' output checked against what the README says the user sees."""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_make_run_flow import EMULATOR_AUTH, DevProcess, wait_ready

from support.processes import free_port
from support.requirements import require

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
README_API, README_EMULATOR = "http://127.0.0.1:8080", "http://127.0.0.1:8081"
COMMAND = ".venv/bin/ticketbridge "


@dataclass(frozen=True)
class Journey:
    """One seed's subsection: how dev is started, and what the second terminal runs."""

    seed: str  # the heading's first word: Kushim, Keeptrusts, …
    env: dict[str, str]  # the exports and the assignments before `make run`
    make_args: dict[str, str]  # `make run SEED=…`
    shell: list[str]  # the second block without its ticketbridge lines
    commands: list[list[str]]  # the ticketbridge lines, split


def readme_journeys() -> dict[str, Journey]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Try a seed's journey") :]
    section = section[: section.index("\nIn production:")]
    found = {}
    for part in section.split("\n#### ")[1:]:
        start, second = re.findall(r"```sh\n(.*?)```", part, re.S)
        journey = _journey(part.split()[0], start.splitlines(), second.splitlines())
        found[journey.seed] = journey
    return found


def _journey(seed: str, start: list[str], second: list[str]) -> Journey:
    env: dict[str, str] = {}
    make_args: dict[str, str] = {}
    for line in start:
        words = shlex.split(line, comments=True)
        if words[0] == "export":
            env |= dict(word.split("=", 1) for word in words[1:])
            continue
        make = words.index("make")
        assert words[make : make + 2] == ["make", "run"], line
        env |= dict(word.split("=", 1) for word in words[:make])
        make_args |= dict(word.split("=", 1) for word in words[make + 2 :])
    return Journey(
        seed=seed,
        env=env,
        make_args=make_args,
        shell=[line for line in second if not line.startswith(COMMAND)],
        commands=[line.split()[1:] for line in second if line.startswith(COMMAND)],
    )


JOURNEYS = readme_journeys()


class ReadmeDev(DevProcess):
    """`make run` as the README starts it: its environment (the exports, TICKETBRIDGE_CONFIG)
    and SEED, on free ports, in a directory of its own (dev keeps ./var there)."""

    def __init__(self, workdir: Path, journey: Journey, port: int, emulator_port: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBRIDGE_")}
        env |= journey.env | {"PYTHONUNBUFFERED": "1"}
        env["TICKETBRIDGE_CONFIG"] = str(ROOT / journey.env["TICKETBRIDGE_CONFIG"])
        command = [str(BIN / "ticketbridge"), "dev", "--port", str(port)]
        command += ["--emulator-port", str(emulator_port)]
        if "SEED" in journey.make_args:
            command += ["--seed", str(ROOT / journey.make_args["SEED"])]
        self.process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = queue.Queue()
        self.output = []
        threading.Thread(target=self._pump, daemon=True).start()


@dataclass
class Trip:
    """A journey under way: the second block's output, the emulator, dev's directory."""

    answers: str
    emulator_port: int
    workdir: Path
    journey: Journey

    def issue(self, key: str) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.emulator_port}/rest/api/3/issue/{key}"
        found: dict[str, Any] = httpx.get(url, auth=EMULATOR_AUTH, timeout=5.0).json()["fields"]
        return found

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:{self.emulator_port}/rest/api/3/issue/{key}/remotelink"
        found: list[dict[str, Any]] = httpx.get(url, auth=EMULATOR_AUTH, timeout=5.0).json()
        return found

    def settled(
        self, key: str, done: Callable[[dict[str, Any]], bool], timeout: float = 20.0
    ) -> dict[str, Any]:
        """The issue's fields once `done` holds (the outbox writes after the answer:
        `?wait=ticket` waits for the key, not for a resolve's comment or transition)."""
        deadline = time.monotonic() + timeout
        while True:
            fields = self.issue(key)
            if done(fields) or time.monotonic() > deadline:
                return fields
            time.sleep(0.2)

    def told(self, index: int, until: str = "", timeout: float = 20.0) -> str:
        """The output of the block's `index`th ticketbridge line, run in dev's directory;
        again, for a bounded while, until it says `until` (what the workers do next)."""
        command = [str(BIN / "ticketbridge"), *self.journey.commands[index]]
        deadline = time.monotonic() + timeout
        while True:
            ran = subprocess.run(
                command, cwd=self.workdir, capture_output=True, text=True, timeout=60
            )
            assert ran.returncode == 0, ran.stdout + ran.stderr
            if until in ran.stdout or time.monotonic() > deadline:
                return ran.stdout
            time.sleep(0.3)


def comments(fields: dict[str, Any]) -> list[str]:
    return [str(c["body"]) for c in fields["comment"]["comments"]]


def labels(fields: dict[str, Any]) -> set[str]:
    """The issue's labels but ours (`tb-…`, the fingerprint's marker)."""
    return {label for label in fields["labels"] if not label.startswith("tb-")}


def kushim(trip: Trip) -> None:
    assert trip.answers.count('"key":"INFRA-1"') == 3, trip.answers
    fields = trip.settled("INFRA-1", lambda f: len(f["comment"]["comments"]) >= 2)
    assert fields["summary"] == "[AWS_IAM_MFA] IAM MFA Enforcement - Compliance Failure"
    assert fields["assignee"]["emailAddress"] == "cloud-team@acme-corp.com"
    assert fields["status"]["statusCategory"]["key"] == "new"  # the example comments only
    assert any("The source reports this alert resolved" in c for c in comments(fields))
    explained = trip.told(0)
    assert "resolve" in explained, explained
    assert "INFRA-1" in explained, explained


def keeptrusts(trip: Trip) -> None:
    assert trip.answers.count('"key":"AIGOV-1"') == 2, trip.answers
    fields = trip.settled("AIGOV-1", lambda f: f["resolution"] is not None)
    assert fields["summary"] == "AI Escalation: pii-detection — block (gpt-4o)"
    assert (fields["issuetype"]["name"], fields["priority"]["name"]) == ("Bug", "Highest")
    assert labels(fields) == {"ai-governance", "keeptrusts", "pii-detection"}
    assert fields["duedate"] == "2026-03-02"  # block: within the hour
    custom = [fields[f"customfield_1020{n}"] for n in range(4)]  # examples/jira-seeds
    assert custom == [
        "pii-detection",
        "gpt-4o",
        "gw-eu-west-1",
        "https://console.keeptrusts.com/escalations/esc_01HZX3K9Q7",
    ]
    assert fields["status"]["statusCategory"]["key"] == "done"
    assert fields["resolution"]["name"] == "False Positive"
    assert any("resolved as False Positive" in c for c in comments(fields))
    explained = trip.told(0)
    assert "false_positive" in explained, explained
    assert "AIGOV-1" in explained, explained
    # The callback to Keeptrusts' API: the README points it at loopback, refused unsent.
    assert trip.journey.env["KEEPTRUSTS_API_URL"].startswith("http://127.0.0.1:")
    outbox = " ".join(trip.told(1, until="loopback").split())
    assert "callback dead" in outbox, outbox
    assert "127.0.0.1 is a loopback address" in outbox, outbox


def truthvouch(trip: Trip) -> None:
    assert '"key":"OPS-2"' in trip.answers, trip.answers
    assert '"key":"COMPLIANCE-1"' in trip.answers, trip.answers
    bug = trip.issue("OPS-2")
    assert bug["summary"] == "Hallucination: Hallucination Detected"
    assert (bug["issuetype"]["name"], bug["priority"]["name"]) == ("Bug", "Highest")
    assert labels(bug) == {"ai-governance", "hallucination", "ai-safety", "science"}
    assert [c["name"] for c in bug["components"]] == ["AI-Engine", "support-chatbot"]
    on_duty = bug["assignee"]["emailAddress"]
    assert on_duty in {"oncall@company.com", "ops@company.com"}
    assert trip.issue(bug["parent"]["key"])["summary"] == "Hallucinations: unknown model"
    task = trip.issue("COMPLIANCE-1")
    assert (task["issuetype"]["name"], task["priority"]["name"]) == ("Task", "High")
    assert task["assignee"]["emailAddress"] == "compliance-team@company.com"
    assert task["duedate"] is not None
    explained = trip.told(0)
    assert f"'on-call-rotation' is a rotation: {on_duty} is on duty" in explained, explained


def sentineliq(trip: Trip) -> None:
    assert '"key":"SEC-1"' in trip.answers, trip.answers
    assert '"key":"SEC-2"' in trip.answers, trip.answers
    assert "failed for this alert" not in trip.answers  # no ticketMetadata: nothing to warn of
    first = trip.issue("SEC-1")
    assert first["summary"] == "[CRITICAL] Encoded PowerShell execution on FIN-WS-042"
    assert (first["issuetype"]["name"], first["priority"]["name"]) == ("Incident", "Highest")
    assert labels(first) == {"security", "incident"}
    assert (first["assignee"], first["duedate"]) == (None, "2026-03-03")
    description = str(first["description"])
    assert "T1059.001" in description, description  # the MITRE ATT&CK table
    assert "TA0011" in description, description
    assert "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592" in description
    second = trip.issue("SEC-2")
    assert labels(second) == {"security", "ransomware", "incident"}
    assert second["duedate"] == "2026-03-05"
    analyst = second["assignee"]["emailAddress"]
    assert analyst in {"analyst.jane@acme.com", "analyst.raj@acme.com"}
    explained = trip.told(0)
    assert f"'soc-rotation' is a rotation: {analyst}" in explained, explained


def audital(trip: Trip) -> None:
    assert '"key":"AIGOV-1"' in trip.answers, trip.answers
    assert '"jira_keys":["AIGOV-1","OPS-7"]' in trip.answers, trip.answers
    events = trip.told(0, until="CONFIG_CHANGE")
    assert '"type": "CONFIG_CHANGE"' in events, events
    assert "Raise the credit model decision threshold to 0.72" in events, events
    assert '"error": "not_found"' in events, events  # OPS-7
    commit = "https://github.com/acme/credit-model/commit/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
    assert [link["object"]["url"] for link in trip.remote_links("AIGOV-1")] == [commit]


CHECKS: dict[str, Callable[[Trip], None]] = {
    "Kushim": kushim,
    "Keeptrusts": keeptrusts,
    "TruthVouch": truthvouch,
    "SentinelIQ": sentineliq,
    "Audital": audital,
}


def test_every_journey_in_the_readme_is_followed() -> None:
    assert set(JOURNEYS) == set(CHECKS)


@pytest.mark.parametrize("seed", sorted(CHECKS))
def test_the_readmes_seed_journey(seed: str, tmp_path: Path) -> None:
    require(shutil.which("curl") is not None, "curl")
    require(shutil.which("openssl") is not None, "openssl")
    journey = JOURNEYS[seed]
    port, emulator_port = free_port(), free_port()
    dev = ReadmeDev(tmp_path, journey, port, emulator_port)
    try:
        dev.wait_for_line("curl ", timeout=60)
        wait_ready(f"http://127.0.0.1:{port}/readyz")
        shell = "\n".join(journey.shell)
        shell = shell.replace(README_API, f"http://127.0.0.1:{port}")
        shell = shell.replace(README_EMULATOR, f"http://127.0.0.1:{emulator_port}")
        answers = subprocess.run(
            ["bash", "-ec", shell], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert answers.returncode == 0, answers.stderr
        CHECKS[seed](Trip(answers.stdout, emulator_port, tmp_path, journey))
    finally:
        dev.stop()
