"""The funding service's app: its routers and consumers on the shared service chassis."""

from fastapi import FastAPI

from funding.api import ROUTERS
from funding.consumers import handlers
from funding.service.policies import rules
from funding.store.tables import messaging
from tic_shared.service_app import ServiceSpec, create_service_app
from tic_shared.settings import ServiceSettings


async def _load_rules(app: FastAPI) -> None:
    """Load and validate the policies, categories and jurisdictions now: a bad file stops the start."""
    app.state.rules = rules()


SPEC = ServiceSpec(
    name="funding",
    title="TIC Funding",
    description="Subsidy policies as data, exact calculation with its trace, grants, ledger, budget and clawback.",
    messaging=messaging,
    routers=ROUTERS,
    handlers=handlers,
    on_startup=_load_rules,
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)
