"""One loader, one verdict: what `serve` refuses at start, `config check` refuses too, with the
same problems (path, line, message); so do `worker` and the library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbridge.cli import app
from ticketbridge.errors import ConfigError
from ticketbridge.library import Bridge

TICKETBRIDGE = str(Path(sys.executable).with_name("ticketbridge"))
JIRA = """\
jira:
  url: https://acme.atlassian.net
  auth: {type: token, email: ops@acme.com, api_token: t}
"""
# Each of these started `serve` up to the point of failing while `config check` said valid.
REFUSED = {
    "template syntax": """\
templates:
  incident:
    summary: "{{ alert.title }}"
    description: |
      ## What happened
      {{ alert.description
routes:
  - {name: all, template: incident}
""",
    "templated field": """\
routes:
  - name: all
    fields: {Model: "{{ alert.attributes.model "}
""",
    "group key": """\
routes:
  - name: all
    group: {epic: "{% for x in %}"}
""",
    "oauth2": """\
jira:
  url: https://acme.atlassian.net
  auth: {type: oauth2, client_id: c, client_secret: s, cloud_id: x, auth_url: "http://auth.acme.com"}
""",
    "plain http": """\
jira:
  url: http://jira.acme.com
  auth: {type: token, email: ops@acme.com, api_token: t}
""",
}
EXPECTED = {
    "template syntax": "templates.incident.description (line 4): syntax error:",
    "templated field": "routes[0].fields.Model (line 3): syntax error:",
    "group key": "routes[0].group.epic (line 3): syntax error:",
    "oauth2": "jira.auth.auth_url (line 3): plain http:// would send the credentials in clear",
    "plain http": "jira.url (line 2): plain http:// would send the credentials in clear",
}


def problem_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("•")]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_config_check_refuses_what_serve_refuses_with_the_same_problems(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ticketbridge.yaml"
    path.write_text(REFUSED[case])
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBRIDGE_")}
    env |= {"TICKETBRIDGE_CONFIG": str(path), "TICKETBRIDGE_DATA_DIR": str(tmp_path / "var")}
    serve = subprocess.run(
        [TICKETBRIDGE, "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    monkeypatch.chdir(tmp_path)
    check = CliRunner().invoke(app, ["config", "check", str(path)])

    assert (serve.returncode, check.exit_code) == (2, 2), serve.stderr + check.output
    assert problem_lines(serve.stderr) == problem_lines(check.output)
    assert any(line.startswith(f"• {EXPECTED[case]}") for line in problem_lines(check.output))


def test_worker_and_the_library_refuse_it_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "ticketbridge.yaml"
    path.write_text(JIRA + REFUSED["template syntax"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBRIDGE_")}
    env |= {"TICKETBRIDGE_CONFIG": str(path), "TICKETBRIDGE_DATA_DIR": str(tmp_path / "var")}
    worker = subprocess.run(
        [TICKETBRIDGE, "worker"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    with pytest.raises(ConfigError) as caught:
        Bridge.from_config(path)

    assert worker.returncode == 2, worker.stderr
    library = [f"• {problem}" for problem in caught.value.problems]
    assert problem_lines(worker.stderr) == library
    assert library[0].startswith("• templates.incident.description (line 7): syntax error:")
