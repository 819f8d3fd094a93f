"""OpenTelemetry traces: one trace from an HTTP request through the outbox, NATS and a consumer's handler to its
effect in another service.

Off unless the standard `OTEL_*` variables ask for it (`OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_TRACES_EXPORTER=otlp`; `OTEL_SDK_DISABLED=true` wins): then the SDK
exports over OTLP/HTTP with `service.name` = `tic-<service>`. Without it the API's no-op tracer still carries the W3C
context, so an event's `traceparent` continues the caller's trace either way.

Spans: every request (FastAPI instrumentation; probes and /metrics left out), every SQL statement (SQLAlchemy),
the publishing of each outbox event (`publish <type>`, a producer span) and the handling of each event
(`handle <type>`, a consumer span whose parent is the event's `traceparent`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER_NAME = "tic"
_PROPAGATOR = TraceContextTextMapPropagator()
_configured = False


def wanted(environ: dict[str, str] | None = None) -> bool:
    """Whether the environment asks for traces to be exported."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true" or env.get("OTEL_TRACES_EXPORTER", "") == "none":
        return False
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    return bool(endpoint) or env.get("OTEL_TRACES_EXPORTER", "") == "otlp"


def configure(service: str) -> None:
    """Install the SDK with the OTLP exporter once per process, when the environment asks for it."""
    global _configured
    if _configured or not wanted():
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"tic-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True


def instrument_app(app: Any) -> None:
    """Server spans for the app's requests (not for the probes and metrics Kubernetes and Prometheus poll).

    The instrumented middleware stack costs a request about as much as the read it serves, even when no span is
    recorded; so the app keeps both stacks and a request takes the instrumented one only while spans are recorded.
    Either way the caller's trace continues: our own request context makes the child span's traceparent."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    build_traced = app.build_middleware_stack
    build_plain = app._original_build_middleware_stack

    def build_middleware_stack() -> Any:
        traced, plain = build_traced(), build_plain()

        async def either(scope: Any, receive: Any, send: Any) -> None:
            await (traced if recording() else plain)(scope, receive, send)

        return either

    app.build_middleware_stack = build_middleware_stack


def instrument_engine(engine: Any) -> None:
    """Client spans for every statement of this engine (one engine per service; tests run several in a process,
    so the engine is instrumented itself rather than through the global `create_engine` hook)."""
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    class SpansWhileRecorded(EngineTracer):
        """A statement's span only while spans are recorded: unrecorded, the instrumentation still read the URL's
        attributes, made a span and entered its context for every statement (a sixth of a small insert's CPU).
        Ending a span stays as it is: it ends only the spans that were made."""

        def _before_cur_exec(
            self, conn: Any, cursor: Any, statement: Any, params: Any, context: Any, executemany: bool
        ) -> Any:
            if not recording():
                return statement, params
            return super()._before_cur_exec(conn, cursor, statement, params, context, executemany)

    meter = get_meter(TRACER_NAME)
    usage = meter.create_up_down_counter("db.client.connections.usage", unit="connections")
    SpansWhileRecorded(trace.get_tracer(TRACER_NAME), engine.sync_engine, usage)


@contextmanager
def statement_span(sql: str, verb: str) -> Iterator[None]:
    """A client span for a statement sent on the driver (the engine's instrumentation sees only SQLAlchemy's own),
    named by its verb. Its callers skip it while spans are not recorded (`recording()`)."""
    with trace.get_tracer(TRACER_NAME).start_as_current_span(
        verb, kind=SpanKind.CLIENT, attributes={"db.system": "postgresql", "db.statement": sql}
    ):
        yield


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, when there is a valid one."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def recording() -> bool:
    """Whether spans go anywhere (an SDK tracer provider is set): a hot loop skips making spans nobody records."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider)


@contextmanager
def span(name: str, *, parent: str | None, kind: SpanKind, attributes: dict[str, Any]) -> Iterator[Span]:
    """A span whose parent is the given traceparent (an event's), else the current span."""
    context = _PROPAGATOR.extract({"traceparent": parent}) if parent else None
    with trace.get_tracer(TRACER_NAME).start_as_current_span(
        name, context=context, kind=kind, attributes=attributes
    ) as current:
        yield current
