"""`serve` and `worker` settle the heap once built (bootstrap.heap): the collector skips the
service's own objects and collects young ones less often. Checked in a fresh interpreter, since
the setting is process-wide."""

from __future__ import annotations

import json
import subprocess
import sys

from ticketbridge.bootstrap.heap import YOUNG_THRESHOLD

_PROBE = """
import gc, json
from ticketbridge.bootstrap import settle_heap
before = (gc.get_freeze_count(), gc.get_threshold()[0])
settle_heap()
print(json.dumps({"before": before, "after": (gc.get_freeze_count(), gc.get_threshold()[0])}))
"""


def test_settle_heap_freezes_the_built_service_and_raises_the_young_threshold() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    states = json.loads(done.stdout)
    assert states["before"] == [0, 700]  # CPython's defaults
    frozen, young = states["after"]
    assert frozen > 10_000  # the modules and objects imported so far
    assert young == YOUNG_THRESHOLD
