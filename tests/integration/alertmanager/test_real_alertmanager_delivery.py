"""The real Alertmanager's webhook, as our users' Alertmanager sends it, pinned to the docs.

This is the sender side of the Alertmanager source: what the process really posts (version 4,
one entry per alert, a stable fingerprint across firing and resolved). The source adapter's own
tests replay the fixtures this test keeps honest.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from support.alertmanager import alertmanager_binary, running_alertmanager
from support.requirements import require

pytestmark = pytest.mark.alertmanager


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[dict[str, Any]]]]:
    received: queue.Queue[dict[str, Any]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.put(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()


def test_firing_then_resolved_share_one_fingerprint(
    receiver: tuple[str, queue.Queue[dict[str, Any]]],
) -> None:
    require(alertmanager_binary() is not None, "prometheus-alertmanager is not installed")
    url, received = receiver
    labels = {"alertname": "HighErrorRate", "severity": "critical", "instance": "api-1"}
    with running_alertmanager(url) as alertmanager:
        alertmanager.post_alert(labels, {"summary": "5xx above 5%"})
        firing = received.get(timeout=30)
        alertmanager.post_alert(labels, {"summary": "5xx above 5%"}, resolved=True)
        resolved = received.get(timeout=30)

    assert firing["version"] == "4"
    assert firing["status"] == "firing"
    assert {"groupKey", "receiver", "groupLabels", "commonLabels", "externalURL"} <= firing.keys()
    [fired] = firing["alerts"]
    assert fired["labels"] == labels
    assert fired["annotations"] == {"summary": "5xx above 5%"}
    assert fired["status"] == "firing"
    [ended] = resolved["alerts"]
    assert resolved["status"] == ended["status"] == "resolved"
    assert ended["fingerprint"] == fired["fingerprint"]
    assert len(fired["fingerprint"]) == 16
