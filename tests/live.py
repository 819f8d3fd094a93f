"""A service served by a real uvicorn in a thread of its own, for the tests that speak plain HTTP to it
(the fuzzer, the access matrix): the same server, middleware and lifespan as `tic dev`, on a free port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from tic_platform.embedded import free_port
from tic_platform.testing import create_app


@contextmanager
def serving(service: str, settings: Any) -> Iterator[str]:
    """The service's base URL while the block runs; stopped (lifespan and all) when it ends."""
    app = create_app(service, settings)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", server_header=False, lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{service}", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{service} did not start on {base_url}")
        time.sleep(0.02)
    try:
        httpx.get(f"{base_url}/healthz", timeout=5).raise_for_status()
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
