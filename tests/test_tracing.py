"""One trace from a registry approval to the funding grant it opens: HTTP → outbox → NATS → consumer → SQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanKind

from tests.e2e.test_flows import _approved_center
from tic_platform.testing import bearer, eventually
from tic_shared import telemetry


class Recording(Sampler, SpanExporter):
    """Records spans only while a test asks (the provider is the process's, so other tests pay next to nothing)."""

    def __init__(self) -> None:
        self.on = False
        self.spans: list[ReadableSpan] = []
        self._lock = threading.Lock()

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        *_: Any,
        **__: Any,
    ) -> SamplingResult:
        # The sampler's attributes are the span's: pass them on.
        return SamplingResult(Decision.RECORD_AND_SAMPLE if self.on else Decision.DROP, attributes)

    def get_description(self) -> str:
        return "tic-test-recording"

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._lock:
            self.spans.extend(spans)
        return SpanExportResult.SUCCESS


@pytest.fixture(scope="module")
def recording() -> Iterator[Recording]:
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        pytest.fail("a tracer provider is already installed in this process (OTEL_* set for the tests?)")
    recorder = Recording()
    provider = TracerProvider(sampler=recorder)
    provider.add_span_processor(SimpleSpanProcessor(recorder))
    trace.set_tracer_provider(provider)
    yield recorder
    recorder.on = False


def test_tracing_is_off_unless_the_otel_variables_ask_for_it() -> None:
    assert not telemetry.wanted({})
    assert telemetry.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert telemetry.wanted({"OTEL_TRACES_EXPORTER": "otlp"})
    assert not telemetry.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"})


async def test_an_approval_and_the_grant_it_opens_are_one_trace(
    recording: Recording, run_service: Any, token: Callable[..., str], own_database_url: str, own_nats: Any
) -> None:
    admin = bearer(token(subject="bureau-trace", roles=["bureau_admin"]))
    # A database and a NATS of its own: the approval's events stay out of the streams other tests read.
    db = {"database_url": own_database_url, "nats_url": own_nats.url}
    async with run_service("registry", **db) as (_, reg), run_service("funding", **db) as (_, fund):
        recording.on = True
        center = await _approved_center(reg, admin)

        async def grant() -> Any:
            found = (await fund.get("/api/v1/grants", params={"center_id": center["id"]}, headers=admin)).json()
            return found["items"]

        await eventually(grant, timeout_s=20)
        recording.on = False

    spans = list(recording.spans)
    approve = next(s for s in spans if s.kind is SpanKind.SERVER and (s.name or "").endswith("/approve"))
    trace_id = approve.context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    names = {s.name for s in in_trace}
    assert "publish tic.registry.CenterApproved.v1" in names
    handled = [s for s in in_trace if s.name == "handle tic.registry.CenterApproved.v1"]
    assert any(s.attributes and s.attributes.get("messaging.consumer.group.name") == "funding" for s in handled)
    # The grant's INSERT is in the same trace, under funding's handler.
    funding_handler = next(
        s for s in handled if s.attributes and s.attributes["messaging.consumer.group.name"] == "funding"
    )
    children = [s for s in in_trace if s.parent is not None and s.parent.span_id == funding_handler.context.span_id]
    assert any(s.kind is SpanKind.CLIENT and "INSERT" in s.name.upper() for s in children), sorted(
        s.name for s in children
    )
    # The statements sent on the driver are spans too: the center's update, in the approval's own part of the trace.
    updates = [s for s in in_trace if s.kind is SpanKind.CLIENT and s.name == "UPDATE"]
    assert any(s.attributes and "registry.centers" in str(s.attributes.get("db.statement")) for s in updates), sorted(
        s.name for s in in_trace
    )
