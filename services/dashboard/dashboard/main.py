"""The console's app: sessions, sign-in, languages, the vendored browser assets and the pages."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from starlette.middleware.sessions import SessionMiddleware

from dashboard import i18n
from dashboard.auth import CsrfRefused, SignInRequired, signed_in
from dashboard.clients import make_clients
from dashboard.pages import ROUTERS
from dashboard.settings import DashboardSettings
from dashboard.web import SectionRefused, locale_of, render, section_allowed
from tic_shared import heap
from tic_shared.settings import Environment

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
# The browser assets the console uses, from the npm packages pinned in package-lock.json (never a CDN).
VENDOR = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "echarts.min.js": "echarts/dist/echarts.min.js",
    "axe.min.js": "axe-core/axe.min.js",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def assets_dir(settings: DashboardSettings) -> Path:
    """Where `npm ci` put the packages: set by TIC_DASHBOARD_ASSETS_DIR, else beside the source."""
    found = settings.assets_dir or HERE.parent / "node_modules"
    missing = [name for name, path in VENDOR.items() if not (found / path).is_file()]
    if missing:
        raise RuntimeError(
            f"the console's browser assets are missing in {found} ({', '.join(missing)}): "
            "run ./tic (it runs npm ci in services/dashboard) or set TIC_DASHBOARD_ASSETS_DIR"
        )
    return found


def create_app(
    settings: DashboardSettings | None = None, transports: Mapping[str, httpx.AsyncBaseTransport] | None = None
) -> FastAPI:
    settings = settings or DashboardSettings()
    vendor = assets_dir(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.clients = make_clients(settings, transports)
        heap.settle()
        try:
            yield
        finally:
            for client in app.state.clients.values():
                await client.aclose()

    app = FastAPI(title="TIC console", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="tic_console",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.environment is Environment.PRODUCTION,
    )

    registry = CollectorRegistry()
    page_seconds = Histogram(
        "tic_console_request_duration_seconds",
        "Console requests by route template and status",
        ["route", "method", "status"],
        registry=registry,
        buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        route = request.scope.get("route")
        page_seconds.labels(getattr(route, "path", "unmatched"), request.method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/assets/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: Exception) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": "/signin"})
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _: Exception) -> HTMLResponse:
        return render(request, "pages/refused.html", user=None, status_code=403)

    @app.exception_handler(SectionRefused)
    async def _section(request: Request, _: Exception) -> HTMLResponse:
        gettext = i18n.translations(locale_of(request)).gettext
        return render(
            request,
            "pages/message.html",
            user=signed_in(request),
            title=gettext("Not for your role"),
            message=gettext("Your role does not give access to this part of the console."),
            status_code=403,
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, str]:
        """Ready once started: the console keeps serving when a service is down (that part of a page says so), so
        another service's outage must not take it out of its load balancer."""
        return {"status": "ready"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/assets/vendor/{name}", include_in_schema=False)
    async def vendor_asset(name: str) -> Response:
        if name not in VENDOR:
            return Response(status_code=404)
        return FileResponse(vendor / VENDOR[name], headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/assets", StaticFiles(directory=HERE / "static"), name="assets")
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(section_allowed)])
    i18n.translations("zh_CN")  # a broken catalog fails the start, not the first page
    return app
