"""The notification service's app: its routers and consumers on the shared service chassis."""

from fastapi import FastAPI

from notification.api import ROUTERS
from notification.consumers import handlers
from notification.store.tables import messaging
from tic_shared.service_app import ServiceSpec, create_service_app
from tic_shared.settings import ServiceSettings

SPEC = ServiceSpec(
    name="notification",
    title="TIC Notification",
    description="Every event to the people and systems it concerns: email, webhooks and the in-app inbox.",
    messaging=messaging,
    routers=ROUTERS,
    handlers=handlers,
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)
