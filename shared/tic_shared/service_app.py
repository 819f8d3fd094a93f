"""One FastAPI app per service, built the same way: lifespan, auth, problems, health, metrics, relay, inbox."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tic_shared import heap, ops_api, telemetry
from tic_shared.auth import TokenVerifier, VerifiedTokens, require_authentication
from tic_shared.contract_responses import install_problem_responses
from tic_shared.db import Database
from tic_shared.docs import install_docs
from tic_shared.guard import RequestGuardMiddleware
from tic_shared.inbox import EventHandlers, InboxConsumer
from tic_shared.logs import configure_logging
from tic_shared.messaging import MessagingTables
from tic_shared.metrics import ServiceMetrics
from tic_shared.nats_link import NatsLink
from tic_shared.outbox import OutboxRelay
from tic_shared.problems import PROBLEM_RESPONSES, install_problem_handlers
from tic_shared.session import DatabaseDep as DatabaseDep
from tic_shared.session import SessionDep as SessionDep
from tic_shared.settings import ServiceSettings
from tic_shared.streams import StreamReplicasRefused, ensure_stream
from tic_shared.tracing import child_traceparent, request_id_var, traceparent_var

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


@dataclass
class ServiceSpec:
    """What makes one service different from the others; everything else is shared."""

    name: str
    title: str
    description: str
    messaging: MessagingTables
    routers: list[APIRouter]
    handlers: EventHandlers = field(default_factory=EventHandlers)
    version: str = "1.0.0"
    consumer_name: str | None = None
    """The durable consumer's name and inbox key; the service's name unless a test needs its own."""
    on_startup: Callable[[FastAPI], Awaitable[None]] | None = None
    on_shutdown: Callable[[FastAPI], Awaitable[None]] | None = None
    """Runs first on shutdown, while the database and NATS are still open (a worker finishing its sends)."""
    process: str | None = None
    """A process of the service that serves no API, only its health and metrics (the notification delivery
    worker): named in its logs and database connections. Its routers and handlers are empty."""


class RequestContextMiddleware:
    """Request id and trace context for logs and events; latency histogram by route template."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:100] or uuid.uuid4().hex
        traceparent = child_traceparent(headers.get(b"traceparent", b"").decode("latin-1") or None)
        rid_token = request_id_var.set(request_id)
        tp_token = traceparent_var.set(traceparent)
        status = 500
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                    (b"traceparent", traceparent.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.request_seconds.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )
            request_id_var.reset(rid_token)
            traceparent_var.reset(tp_token)


def create_service_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings.for_service(spec.name)
    metrics = ServiceMetrics(spec.name)
    label = f"{spec.name} {spec.process}" if spec.process else spec.name

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service=spec.name, level=settings.log_level, json=settings.log_json)
        db = Database(
            settings.database_url,
            schema=spec.name,
            pool_size=settings.database_pool_size,
            application_name=f"tic-{spec.name}" + (f"-{spec.process}" if spec.process else ""),
        )
        telemetry.instrument_engine(db.engine)
        link = NatsLink.for_service(settings)
        relay = OutboxRelay(db=db, outbox=spec.messaging.outbox, link=link, settings=settings, metrics=metrics)
        consumers = [
            InboxConsumer(
                service=spec.consumer_name or spec.name,
                producer=producer,
                db=db,
                tables=spec.messaging,
                handlers=spec.handlers,
                link=link,
                settings=settings,
                metrics=metrics,
            )
            for producer in spec.handlers.producers()
        ]
        app.state.db = db
        app.state.link = link
        app.state.relay = relay
        app.state.consumers = consumers
        app.state.verifier = TokenVerifier(settings)
        app.state.verified = VerifiedTokens(app.state.verifier)

        declare = asyncio.Event()
        link.on_connected(declare.set)

        async def declare_own_stream() -> None:
            # After every (re)connect, until it succeeds: a server that lost its store must get the stream back,
            # or every publish of the relay would fail until a restart.
            while True:
                await declare.wait()
                declare.clear()
                delay = 0.2
                while True:
                    try:
                        await ensure_stream(link.js, spec.name, settings)
                        break
                    except StreamReplicasRefused as exc:
                        # A configuration error, not an outage: say it loudly (events wait in the outbox).
                        log.error("%s", exc)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 30.0)
                    except Exception as exc:
                        log.warning("cannot declare the stream of %s yet: %s", spec.name, exc)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 10.0)

        link.start()
        stream_task = asyncio.create_task(declare_own_stream())
        relay.start()
        for consumer in consumers:
            consumer.start()
        if spec.on_startup is not None:
            await spec.on_startup(app)
        heap.settle()
        log.info("%s started", label)
        try:
            yield
        finally:
            if spec.on_shutdown is not None:
                await spec.on_shutdown(app)
            stream_task.cancel()
            for consumer in consumers:
                await consumer.stop()
            await relay.stop()
            await link.close()
            await db.dispose()
            log.info("%s stopped", label)

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        responses={**PROBLEM_RESPONSES},
        # /docs is served below from the packaged Swagger UI: an intranet reaches no CDN.
        docs_url=None,
        openapi_url=None if spec.process else "/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.messaging = spec.messaging
    app.state.handlers = spec.handlers
    app.state.service = spec.name
    install_problem_handlers(app)
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=settings.max_request_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    telemetry.configure(spec.name)
    telemetry.instrument_app(app)

    app.include_router(_health_router())
    if spec.process is not None:
        return app  # a process of its own: its health and metrics only
    # Each router is included under the API prefix directly: every level of included routers is matched again
    # on every request. Every route names its caller itself (checked here, not added router-wide: see
    # `require_authentication`).
    for router in (*spec.routers, ops_api.router):
        app.include_router(require_authentication(router), prefix=API_PREFIX)
    install_docs(app)
    install_problem_responses(app)
    return app


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Can serve requests: the database is reachable (NATS down only degrades)",
        responses={503: {}},
    )
    async def readyz(request: Request) -> JSONResponse:
        """Ready means the database answers: every request needs it. NATS down does not take the service out of
        its load balancer: events wait in the outbox and arrive when NATS is back, so the answer is 200 with
        status `degraded` (and `tic_nats_connected` 0 for the alert)."""
        checks: dict[str, Any] = {}
        try:
            await asyncio.wait_for(request.app.state.db.ping(), timeout=2)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        connected = request.app.state.link.connected
        request.app.state.metrics.nats_connected.set(1 if connected else 0)
        checks["nats"] = "ok" if connected else "unavailable: events wait in the outbox"
        if checks["database"] != "ok":
            return JSONResponse({"status": "not ready", "checks": checks}, 503)
        return JSONResponse({"status": "ready" if connected else "degraded", "checks": checks}, 200)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
