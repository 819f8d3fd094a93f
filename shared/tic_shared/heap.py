"""The garbage collector of a serving process, tuned once its app has started.

What a service imports and builds at start (FastAPI, SQLAlchemy, pydantic models, the OpenAPI document, ~150,000
tracked objects) lives as long as the process. Left as it is, every full collection walks all of it: measured on
the registry under load, a 120 ms pause four or five times in five seconds, a sixth of its CPU and the whole of
its p99. Frozen after start, those objects are left out of every collection. A request's own objects are freed
by reference counting as it ends; the collector is needed only for cycles, so it runs after 10,000 net new
container objects instead of 700 (under load it then hardly runs at all, and unreachable cycles stay bounded).
"""

from __future__ import annotations

import gc

# Net container allocations between young collections (CPython's default is 700); the older generations keep
# their default ratios.
YOUNG_THRESHOLD = 10_000

_settled = False


def settle() -> bool:
    """Collect, freeze what is alive and raise the young threshold: once per process (a test process starts many
    apps; freezing again would keep each earlier app's objects forever). True the first time."""
    global _settled
    if _settled:
        return False
    _settled = True
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    return True
