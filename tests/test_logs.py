"""Every line a service writes is the same JSON, uvicorn's own included, with the service and request context."""

from __future__ import annotations

import io
import json
import logging

from tic_shared.logs import configure_logging


def test_uvicorns_lines_are_the_services_json() -> None:
    configure_logging(service="registry", level="INFO", json=True)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_tic", False))
    assert isinstance(handler, logging.StreamHandler)
    captured = io.StringIO()
    previous = handler.setStream(captured)
    try:
        logging.getLogger("uvicorn.error").warning("Application startup complete.")
        logging.getLogger("uvicorn.access").info("127.0.0.1 - GET /healthz 200")  # access lines are off
    finally:
        handler.setStream(previous)
        configure_logging(service="tests", level="INFO", json=False)
    (line,) = captured.getvalue().splitlines()
    record = json.loads(line)
    assert record["logger"] == "uvicorn.error" and record["service"] == "registry" and record["level"] == "WARNING"
    assert record["message"] == "Application startup complete."
