"""The notification service's app: its routers, consumers and delivery worker on the shared service chassis."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from notification.api import ROUTERS
from notification.cache import FanOutCache
from notification.consumers import build_handlers
from notification.settings import NotificationSettings
from notification.store import subscriptions as subscriptions_store
from notification.store.tables import messaging
from notification.worker import DeliveryWorker, DueWatch, seed_templates
from tic_shared.service_app import ServiceSpec, create_service_app
from tic_shared.settings import ServiceSettings

log = logging.getLogger(__name__)


async def _tend_the_store(app: FastAPI) -> None:
    """The service's chores at start, done by its app (the worker needs neither: it sends messages rendered at
    fan-out, and opens a secret stored before sealing as it is)."""
    settings: NotificationSettings = app.state.settings
    try:
        await seed_templates(app.state.db)
    except Exception:
        log.exception("could not seed the templates; the shipped ones will be seeded on the next start")
    try:
        async with app.state.db.transaction() as session:
            sealed = await subscriptions_store.seal_plain_secrets(session, settings.secret_box)
        if sealed:
            log.info("sealed %d webhook secrets stored before secrets were sealed at rest", sealed)
    except Exception:
        log.exception("could not seal the stored webhook secrets; they will be sealed on the next start")


async def _start_worker(app: FastAPI) -> None:
    settings: NotificationSettings = app.state.settings
    worker = DeliveryWorker(
        db=app.state.db, settings=settings, messaging=messaging, registry=app.state.metrics.registry
    )
    app.state.delivery_worker = worker
    if settings.delivery_worker_enabled:
        worker.start()


async def _stop_worker(app: FastAPI) -> None:
    """Let the sends in flight finish and record their outcomes before the database closes."""
    worker: DeliveryWorker | None = getattr(app.state, "delivery_worker", None)
    if worker is not None:
        await worker.stop()


async def _start_app(app: FastAPI) -> None:
    """The store's chores, the worker (unless it runs apart), and the watch on how long due deliveries wait for
    one."""
    await _tend_the_store(app)
    await _start_worker(app)
    settings: NotificationSettings = app.state.settings
    watch = DueWatch(app.state.db, app.state.delivery_worker.metrics.oldest_due, settings.delivery_due_watch_interval_s)
    app.state.due_watch = watch
    watch.start()


async def _stop_app(app: FastAPI) -> None:
    watch: DueWatch | None = getattr(app.state, "due_watch", None)
    if watch is not None:
        await watch.stop()
    await _stop_worker(app)


TITLE = "TIC Notification"
DESCRIPTION = "Every event to the people and systems it concerns: email, webhooks and the in-app inbox."


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The API and the event consumers, and the delivery worker unless `TIC_DELIVERY_WORKER_ENABLED` is false
    (where the worker runs as a process of its own: `create_worker_app`)."""
    own = NotificationSettings.coerce(settings)
    cache = FanOutCache()
    spec = ServiceSpec(
        name="notification",
        title=TITLE,
        description=DESCRIPTION,
        messaging=messaging,
        routers=ROUTERS,
        handlers=build_handlers(own, cache),
        on_startup=_start_app,
        on_shutdown=_stop_app,
    )
    app = create_service_app(spec, own)
    app.state.fanout_cache = cache
    return app


def create_worker_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The delivery worker as a process of its own: it sends what the consumers queued and serves only its health
    and metrics. Beside it, the service's `create_app` runs with `TIC_DELIVERY_WORKER_ENABLED=false`; the two
    scale apart, and sending (CPU on TLS and receivers' answers) no longer competes with fanning events out."""
    own = NotificationSettings.coerce(settings).model_copy(update={"delivery_worker_enabled": True})
    spec = ServiceSpec(
        name="notification",
        title=f"{TITLE} — delivery worker",
        description=DESCRIPTION,
        messaging=messaging,
        routers=[],
        process="worker",
        on_startup=_start_worker,
        on_shutdown=_stop_worker,
    )
    return create_service_app(spec, own)
