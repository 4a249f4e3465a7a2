"""A real `prometheus-alertmanager` process for tests, sending its real webhooks where we say.

Debian ships it as `prometheus-alertmanager` (0.25 on Debian 12). The fixture writes a config
with one webhook receiver, starts it on a free loopback port with clustering off, and offers
`post_alert` (the v2 API a Prometheus server uses) to make it fire and resolve alerts.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.processes import free_port
from support.requirements import find_binary

CONFIG = """\
route:
  receiver: ticketbridge
  group_by: ['alertname', 'instance']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: ticketbridge
    webhook_configs:
      - url: {url}
        send_resolved: true
"""


def alertmanager_binary() -> str | None:
    return find_binary("prometheus-alertmanager") or find_binary("alertmanager")


@dataclass
class Alertmanager:
    base_url: str

    def post_alert(
        self,
        labels: Mapping[str, str],
        annotations: Mapping[str, str] | None = None,
        *,
        resolved: bool = False,
    ) -> None:
        """Fire (or, with resolved=True, resolve) one alert through the v2 API."""
        now = datetime.now(UTC)
        alert: dict[str, object] = {
            "labels": dict(labels),
            "annotations": dict(annotations or {}),
            "startsAt": (now - timedelta(minutes=5)).isoformat(),
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
        }
        if resolved:
            alert["endsAt"] = (now - timedelta(seconds=1)).isoformat()
        request = urllib.request.Request(
            f"{self.base_url}/api/v2/alerts",
            data=json.dumps([alert]).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200


@contextmanager
def running_alertmanager(webhook_url: str) -> Iterator[Alertmanager]:
    binary = alertmanager_binary()
    assert binary is not None
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tb-alertmanager-") as tmp:
        config = Path(tmp) / "alertmanager.yml"
        config.write_text(CONFIG.format(url=json.dumps(webhook_url)))
        log = (Path(tmp) / "alertmanager.log").open("wb")
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={tmp}/data",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base_url, process)
            yield Alertmanager(base_url)
        finally:
            process.terminate()
            process.wait(timeout=10)
            log.close()


def _wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"alertmanager exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("alertmanager did not become ready in 20 s")
