"""The garbage collector, set for a long-running service (`serve`, `worker`).

A batch of 1,000 alerts allocates several hundred thousand objects. With CPython's defaults
(a young collection every 700 allocations) that triggered, on a service whose heap holds ~150,000
long-lived objects (modules, the app, pydantic schemas, compiled templates), full collections
that walk all of them: 10–16 ms of every 1,000 alerts ingested, a third of the request's time
(bench/RESULTS.md, "The collector"). Once the service is built, its objects are moved out of
the collector's sight (`gc.freeze`, Instagram's recipe) and young collections run every 10,000
allocations. Nearly everything a request allocates is freed by reference counting; the
collector only has cycles to find. Not for the library: an embedding program's heap is its own.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """Collect once, freeze what survives (the service as built), and collect young objects
    less often. Call when the process has built everything it keeps."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
