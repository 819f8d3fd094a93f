"""Prometheus metrics of one service: request latency, outbox lag, consumer outcomes, dead letters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    """One registry per app, so several apps can live in one process (the tests, `tic dev`)."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = {"service": service}
        self.request_seconds = Histogram(
            "tic_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.events_published = Counter(
            "tic_outbox_published_events", "Events the relay published", registry=self.registry
        )
        self.outbox_pending = Gauge(
            "tic_outbox_pending_events", "Committed events not yet published", registry=self.registry
        )
        self.outbox_oldest_age = Gauge(
            "tic_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished event",
            registry=self.registry,
        )
        self.events_consumed = Counter(
            "tic_inbox_events",
            "Events the consumers saw, by outcome (refused: a source not the stream's producer)",
            ["stream", "outcome"],
            registry=self.registry,
        )
        self.consumer_pending = Gauge(
            "tic_inbox_pending_messages",
            "Messages waiting in the stream for this service's consumer",
            ["stream"],
            registry=self.registry,
        )
        self.nats_connected = Gauge(
            "tic_nats_connected",
            "1 while the service is connected to NATS; 0 while events wait",
            registry=self.registry,
        )
        self.info = Gauge("tic_service_info", "The service this process runs", list(labels), registry=self.registry)
        self.info.labels(**labels).set(1)
