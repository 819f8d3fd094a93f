"""Demo data for `tic dev`: each service contributes a loader that goes through its real use cases."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

# Modules with an `async def load_demo() -> str` (returning what it loaded), run in this order.
LOADERS: tuple[str, ...] = ()


async def load_demo() -> None:
    for module_name in LOADERS:
        loader: Callable[[], Awaitable[str]] = importlib.import_module(module_name).load_demo
        print(f"tic: demo: {await loader()}", flush=True)
