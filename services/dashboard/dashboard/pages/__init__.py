"""The console's pages, one module each; ROUTERS is what the app mounts."""

from dashboard.pages import (
    applications,
    centers,
    evaluation,
    funding,
    imports,
    operations,
    overview,
    plans,
    session,
)

ROUTERS = [
    session.router,
    overview.router,
    centers.router,
    applications.router,
    evaluation.router,
    plans.router,
    funding.router,
    operations.router,
    imports.router,
]
