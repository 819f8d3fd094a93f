"""W3C trace context carried across HTTP requests and events, and the request id of the current request."""

from __future__ import annotations

import random
import re
from contextvars import ContextVar

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
traceparent_var: ContextVar[str | None] = ContextVar("traceparent", default=None)


def new_traceparent(trace_id: str | None = None) -> str:
    """A traceparent for a new span, in the given trace or a fresh one.

    Ids need to be unique, not secret: drawn as OpenTelemetry's own generator draws them (`random.getrandbits`;
    a system-random draw per event cost a tenth of a consumer's time), never all zeros (W3C: invalid)."""
    return f"00-{trace_id or _nonzero_hex(128)}-{_nonzero_hex(64)}-01"


def _nonzero_hex(bits: int) -> str:
    value = 0
    while not value:
        value = random.getrandbits(bits)
    return f"{value:0{bits // 4}x}"


def child_traceparent(parent: str | None) -> str:
    """A new span inside the parent's trace; a malformed or missing parent starts a new trace."""
    match = _TRACEPARENT.match(parent or "")
    return new_traceparent(match.group(1) if match else None)


def trace_id_of(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None


def current_traceparent() -> str:
    """The span we are in (OpenTelemetry's, when there is a valid one), or a new trace when there is none (a timer,
    a start-up task)."""
    from tic_shared.telemetry import current_traceparent as otel_traceparent

    if (span := otel_traceparent()) is not None:
        return span
    value = traceparent_var.get()
    if value is None:
        value = new_traceparent()
        traceparent_var.set(value)
    return value
