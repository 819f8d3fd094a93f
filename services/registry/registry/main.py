"""The registry service's app: its routers and consumers on the shared service chassis."""

from fastapi import FastAPI

from registry.api import ROUTERS
from registry.consumers import handlers
from registry.store.tables import messaging
from tic_shared.service_app import ServiceSpec, create_service_app
from tic_shared.settings import ServiceSettings

SPEC = ServiceSpec(
    name="registry",
    title="TIC Registry",
    description="Centers from application to delisting: lifecycle, governance, bases, history.",
    messaging=messaging,
    routers=ROUTERS,
    handlers=handlers,
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)
