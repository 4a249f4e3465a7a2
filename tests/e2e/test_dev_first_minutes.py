"""A new user's first minutes with `ticketbridge dev` (real processes, bounded waits): busy ports
stop it at once and it never talks to someone else's server; `--seed` shapes its emulator; the
commands run beside it find its database; a connection PUT under dev is saved, not refused."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_make_run_flow import BIN, EMULATOR_AUTH, DevProcess, wait_ready

from support.processes import free_port
from support.requirements import require

SEED = """\
issueTypes:
  - {name: Service Request}
workflows:
  - name: change
    initial: Open
    statuses: [{name: Open, category: new}, {name: Approved, category: indeterminate},
               {name: Done, category: done}]
    transitions: [{id: "11", name: Approve, to: Approved, from: [Open]},
                  {id: "21", name: Done, to: Done, from: [Approved]}]
addProjects:
  - {key: GOV, workflow: change, issueTypes: [Task, Service Request],
     components: [credit-model]}
"""


def readme_second_terminal() -> list[str]:
    """The commands the README's first screen gives for a second terminal."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("while `make run` runs:", 1)[1]
    lines = block.split("\n\n", 2)[1].splitlines()
    return [line.split("#", 1)[0].strip() for line in lines]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TICKETBRIDGE_")}


def run_dev(workdir: Path, port: int, emulator_port: int) -> subprocess.CompletedProcess[str]:
    """`ticketbridge dev` expected to stop by itself: a hang fails the test at the timeout."""
    return subprocess.run(
        [
            str(BIN / "ticketbridge"),
            "dev",
            "--port",
            str(port),
            "--emulator-port",
            str(emulator_port),
        ],
        cwd=workdir,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def cli(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ticketbridge"), *args],
        cwd=workdir,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture
def listener() -> Iterator[int]:
    """Something else listening on a loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_busy_api_port_stops_dev_at_once(tmp_path: Path, listener: int) -> None:
    emulator_port = free_port()
    done = run_dev(tmp_path, listener, emulator_port)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"the API port {listener} on 127.0.0.1 is in use" in done.stderr
    assert "--port" in done.stderr
    assert port_is_free(emulator_port)  # nothing was started


def test_a_foreign_server_on_the_emulator_port_is_never_taken_for_ours(tmp_path: Path) -> None:
    emulator_port = free_port()
    foreign = subprocess.Popen(
        [sys.executable, "-m", "jira_emulator", "--port", str(emulator_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{emulator_port}/_edge/tenant_info")
        done = run_dev(tmp_path, free_port(), emulator_port)
    finally:
        foreign.terminate()
        foreign.wait(timeout=10)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"the Jira emulator port {emulator_port} on 127.0.0.1 is in use" in done.stderr
    assert "ticketbridge is running" not in done.stdout


@pytest.fixture
def seeded_dev(tmp_path: Path) -> Iterator[tuple[DevProcess, int, int]]:
    (tmp_path / "jira-seed.yaml").write_text(SEED)
    port, emulator_port = free_port(), free_port()
    process = DevProcess(tmp_path, port, emulator_port, "--seed", "jira-seed.yaml")
    try:
        yield process, port, emulator_port
    finally:
        process.stop()


def test_dev_with_a_seed_and_the_commands_beside_it(
    seeded_dev: tuple[DevProcess, int, int], tmp_path: Path
) -> None:
    require(shutil.which("curl") is not None, "curl")
    process, port, emulator_port = seeded_dev
    curl = process.wait_for_line("curl ", timeout=60)
    api = f"http://127.0.0.1:{port}"
    wait_ready(f"{api}/readyz")
    hooks = httpx.get(
        f"http://127.0.0.1:{emulator_port}/rest/webhooks/1.0/webhook",
        auth=EMULATOR_AUTH,
        timeout=10,
    ).json()
    assert [h["url"] for h in hooks] == [f"{api}/v1/jira/webhook"]  # registered, with a secret
    jira = f"http://127.0.0.1:{emulator_port}/rest/api/3"
    meta = httpx.get(f"{jira}/issue/createmeta/GOV/issuetypes", auth=EMULATOR_AUTH, timeout=10)
    assert [t["name"] for t in meta.json()["issueTypes"]] == ["Task", "Service Request"]
    statuses = httpx.get(f"{jira}/project/GOV/statuses", auth=EMULATOR_AUTH, timeout=10).json()
    assert "Approved" in {s["name"] for t in statuses for s in t["statuses"]}

    pasted = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    assert pasted.returncode == 0, pasted.stderr

    # The README's first screen, as written, in a second terminal in the same directory.
    (tmp_path / ".venv").symlink_to(BIN.parent)
    script = "set -e\n" + "\n".join(readme_second_terminal())
    second = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "decision:    create" in second.stdout  # explain demo-1 read dev's database
    assert "the database of `ticketbridge dev`" in second.stderr

    headers = {"Authorization": "Bearer " + (tmp_path / "var" / "dev-api-key").read_text().strip()}
    connection = {
        "url": "https://acme.atlassian.net",
        "auth": {"type": "token", "email": "ops@acme.com", "api_token": "t0ken"},
    }
    put = httpx.put(f"{api}/v1/integrations/jira", json=connection, headers=headers, timeout=10)
    assert put.status_code == 200, put.text
    assert put.json()["origin"] == "stored"

    assert process.stop() == 0
    assert not (tmp_path / "var" / "dev-session.json").exists()
