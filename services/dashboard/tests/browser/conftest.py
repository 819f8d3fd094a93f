"""The console in a real headless Chromium, in front of the four real services with the demo data loaded.

Everything runs for this package only: a database and a NATS server of its own (so its consumers never take
another test's events), the four services in-process, the console served by uvicorn on a free port (a browser
needs a socket), and one Chromium. Each test gets a fresh browser context signed in as the role it names.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Request, async_playwright

from dashboard.main import create_app as create_console
from dashboard.settings import DashboardSettings
from tic_platform.demo import DemoApi, load_demo
from tic_platform.embedded import NatsServer, create_database, drop_database, free_port
from tic_platform.testing import KeyPair, create_app, running

SERVICES = ("registry", "evaluation", "funding", "notification")
ROOT = Path(__file__).resolve().parents[4]
SCREENSHOTS = Path(os.environ.get("TIC_SCREENSHOTS", ROOT / "test-output" / "console"))


def chromium_path() -> str:
    """Debian's Chromium (installed by `./tic test` when it may) or the one TIC_CHROMIUM names."""
    found = os.environ.get("TIC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "the console's browser tests need Chromium: run `./tic test` as root (it installs Debian's chromium), "
            "install it yourself, or set TIC_CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    return found


@dataclass
class Console:
    """The running console: its URL, the services behind it (in-process clients) and tokens for them."""

    url: str
    services: dict[str, httpx.AsyncClient]
    demo: DemoApi
    browser: Browser
    summary: dict[str, Any] = field(default_factory=dict)

    def bearer(self, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.demo.token(**claims)}"}

    async def centers(self, **params: Any) -> list[dict[str, Any]]:
        answer = await self.services["registry"].get(
            "/api/v1/centers", params={"limit": 200, **params}, headers=self.bearer()
        )
        answer.raise_for_status()
        return list(answer.json()["items"])

    async def round_of(self, year: int) -> dict[str, Any]:
        """The evaluation round of `year`, opened now unless a test before this one opened it: the console is
        shared by the package's tests, whatever order they run in."""
        evaluation, admin = self.services["evaluation"], self.bearer()
        opened = await evaluation.post(
            "/api/v1/rounds", json={"year": year}, headers={**admin, "Idempotency-Key": str(uuid.uuid4())}
        )
        if opened.status_code in (200, 201):
            return dict(opened.json())
        assert opened.status_code == 409 and opened.json()["type"].endswith(":round-exists"), opened.text
        found = await evaluation.get("/api/v1/rounds", params={"year": year}, headers=admin)
        return dict(found.json()["items"][0])


@pytest.fixture(scope="package")
async def console(
    pg_server_url: str, template_database: str, keys: KeyPair, make_settings: Any
) -> AsyncIterator[Console]:
    executable = chromium_path()
    nats_root = Path(tempfile.mkdtemp(prefix="tic-nats-console-", dir="/tmp"))
    nats = NatsServer(nats_root).start()
    name = f"tic_console_{uuid.uuid4().hex[:10]}"
    database_url = await create_database(pg_server_url, name, template=template_database)
    stack = AsyncExitStack()
    try:
        clients: dict[str, httpx.AsyncClient] = {}
        apps = {}
        for service in SERVICES:
            app = create_app(service, make_settings(service, database_url=database_url, nats_url=nats.url))
            apps[service] = app
            clients[service] = await stack.enter_async_context(running(app))
        transports = {service: httpx.ASGITransport(app=app) for service, app in apps.items()}
        demo = DemoApi({s: "http://testserver" for s in SERVICES}, signing_key=keys.private_pem, transports=transports)
        await load_demo(demo)

        settings = DashboardSettings(dev_signing_key=keys.private_pem)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_console(settings, transports), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
            )
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)

        playwright = await async_playwright().start()
        browser = await playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            yield Console(url=f"http://127.0.0.1:{port}", services=clients, demo=demo, browser=browser)
        finally:
            await browser.close()
            await playwright.stop()
            server.should_exit = True
            await serving
    finally:
        await stack.aclose()
        nats.stop()
        shutil.rmtree(nats_root, ignore_errors=True)
        await drop_database(pg_server_url, name)


@dataclass
class Watched:
    """A page with what went wrong on it recorded: console errors, failed requests, error responses."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.errors, "the browser saw errors:\n" + "\n".join(self.errors)


def watch(page: Page) -> Watched:
    watched = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"console: {message.text} ({page.url})")

    def on_failed(request: Request) -> None:
        if request.failure == "net::ERR_ABORTED":
            return  # the page moved on before a request finished (a favicon, a download): not an error
        watched.errors.append(f"request failed: {request.method} {request.url}: {request.failure}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"page error: {error} ({page.url})"))
    page.on("requestfailed", on_failed)
    page.on(
        "response",
        lambda response: (
            watched.errors.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 500 or (response.status >= 400 and "/assets/" in response.url)
            else None
        ),
    )
    return watched


SignIn = Callable[..., Awaitable[Watched]]


async def submit(page: Page, button: str, lands_on: str) -> None:
    """Click a form's button and expect to land on `lands_on` (a glob); else fail with what the page said."""
    async with page.expect_navigation():
        await page.click(button)
    if not fnmatch.fnmatch(page.url, lands_on):
        said = (await page.locator("main").inner_text())[:1500]
        raise AssertionError(f"after {button} the console is at {page.url}, not {lands_on}; the page says:\n{said}")


@pytest.fixture
async def sign_in(console: Console) -> AsyncIterator[SignIn]:
    """`await sign_in("district_officer", district="zhenhai", lang="en")`: a fresh context, signed in through
    the sign-in page as a person would."""
    contexts: list[BrowserContext] = []

    async def open_as(
        role: str, *, district: str = "", center_id: str = "", department: str = "", lang: str = "zh_CN"
    ) -> Watched:
        context = await console.browser.new_context(
            base_url=console.url, viewport={"width": 1366, "height": 900}, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        watched = watch(await context.new_page())
        page = watched.page
        await page.goto(f"/lang/{lang}")
        await page.goto("/signin")
        await page.select_option("#role", role)
        if district:
            await page.select_option("#district", district)
        if center_id:
            await page.select_option("#center_id", center_id)
        if department:
            await page.select_option("#department", department)
        await page.click("form[action='/signin'] button[type=submit]")
        await page.wait_for_url(lambda url: "/signin" not in url)
        return watched

    yield open_as
    for context in contexts:
        await context.close()


@pytest.fixture(scope="session")
def screenshots() -> Iterator[Callable[[str], Path]]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def path(name: str) -> Path:
        return SCREENSHOTS / f"{name}.png"

    yield path
