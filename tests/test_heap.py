"""A serving process settles its heap once its app has started: startup objects frozen out of every collection,
the young generation collected after 10,000 net new objects instead of 700."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from tic_platform.testing import running
from tic_shared import heap

PROBE = """
import gc
from tic_shared import heap
before = gc.get_freeze_count()
print(before, heap.settle(), gc.get_freeze_count() > before, gc.get_threshold()[0], heap.settle())
"""


def test_settling_freezes_what_is_alive_and_raises_the_young_threshold_once_per_process() -> None:
    # A fresh interpreter: this test process has settled already (its first app did it).
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0", "True", "True", str(heap.YOUNG_THRESHOLD), "False"]


async def test_a_service_app_settles_the_heap_when_it_starts(make_settings: Callable[..., Any]) -> None:
    from notification.main import create_app

    async with running(create_app(make_settings("notification"))):
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
