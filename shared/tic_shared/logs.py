"""JSON logs, each line carrying the service, the request id and the trace id it belongs to."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from tic_shared.tracing import request_id_var, trace_id_of, traceparent_var


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id_var.get()
        record.trace_id = trace_id_of(traceparent_var.get())
        return True


def configure_logging(*, service: str, level: str = "INFO", json: bool = True) -> None:
    """Route every logger through one handler on stderr; idempotent, so several apps in one process share it."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_tic", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._tic = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if json:
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}{service}{request_id}{trace_id}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(service)s %(name)s: %(message)s"))
    handler.filters = [_ContextFilter(service)]
    root.setLevel(level.upper())
    logging.getLogger("nats").setLevel(logging.WARNING)
    # uvicorn's own loggers write plain text through handlers of their own: send them through ours, so every line
    # of a pod is the same JSON (the access log stays off: the request histogram and the traces say more).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
