"""The evaluation service's app: its routers and consumers on the shared service chassis."""

from fastapi import FastAPI

from evaluation.api import ROUTERS
from evaluation.consumers import handlers
from evaluation.store.tables import messaging
from tic_shared.service_app import ServiceSpec, create_service_app
from tic_shared.settings import ServiceSettings

SPEC = ServiceSpec(
    name="evaluation",
    title="TIC Evaluation",
    description="Indicator systems, annual reports, expert scoring, grades, milestones and acceptance.",
    messaging=messaging,
    routers=ROUTERS,
    handlers=handlers,
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)
