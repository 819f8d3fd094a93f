"""`tic`: run the whole platform locally, migrate, mint dev tokens, write the contract files."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tic_platform.processes import PROCESSES, SERVICES

PORTS = {process.name: process.dev_port for process in PROCESSES}
CONSOLE_PORT = 8100
DEV_NATS_PORT = 14222
ROOT = Path(__file__).resolve().parents[1]


def _say(message: str) -> None:
    print(f"tic: {message}", flush=True)


# ---- migrate ----


async def _migrate(url: str, services: list[str], revision: str, down: bool) -> None:
    from tic_shared.migrations import downgrade, upgrade

    for service in services:
        await (downgrade if down else upgrade)(service, url, revision)
        _say(f"{service}: {'downgraded' if down else 'migrated'} to {revision}")


def cmd_migrate(args: argparse.Namespace) -> int:
    from tic_shared.settings import ServiceSettings

    services = [args.service] if args.service else list(SERVICES)
    for service in services:
        url = ServiceSettings.for_service(service).database_url
        asyncio.run(_migrate(url, [service], args.revision, args.down))
    return 0


# ---- token ----


def cmd_token(args: argparse.Namespace) -> int:
    from tic_shared.auth import mint_token
    from tic_shared.settings import ServiceSettings, dev_signing_key

    settings = ServiceSettings()
    key = Path(args.key).read_text() if args.key else dev_signing_key()
    token = mint_token(
        key,
        subject=args.subject,
        roles=args.role or None,
        scopes=args.scope or None,
        district=args.district,
        center_id=args.center,
        department=args.department,
        name=args.name,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_s=args.ttl,
    )
    print(token)
    return 0


# ---- openapi ----


def cmd_openapi(args: argparse.Namespace) -> int:
    from tic_platform.contract import write_contract

    for path in write_contract():
        _say(f"wrote {path.relative_to(ROOT)}")
    return 0


# ---- audit ----


async def audit_chains(services: list[str], database_url: str | None = None) -> list[str]:
    """Verify every hash-chained history table of `services`; one line per table, breaks named."""
    import importlib

    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
    from sqlalchemy.pool import NullPool

    from tic_shared.audit import verify
    from tic_shared.db import async_url
    from tic_shared.settings import ServiceSettings

    lines = []
    for service in services:
        audited = getattr(importlib.import_module(f"{service}.store.tables"), "AUDITED", ())
        if not audited:
            continue
        url = database_url or ServiceSettings.for_service(service).database_url
        engine = create_async_engine(async_url(url), poolclass=NullPool, hide_parameters=True)
        try:
            async with engine.connect() as conn:
                session = AsyncSession(bind=conn)
                for table in audited:
                    result = await verify(session, table)
                    state = "intact" if not result.breaks else f"BROKEN in {len(result.breaks)} chain(s)"
                    lines.append(f"{result.table}: {result.rows} rows in {result.chains} chains, {state}")
                    lines.extend(f"  {b.table} chain {b.chain_key}: row {b.row_id}: {b.problem}" for b in result.breaks)
        finally:
            await engine.dispose()
    return lines


def cmd_audit(args: argparse.Namespace) -> int:
    services = [args.service] if args.service else list(SERVICES)
    url = None
    if "TIC_DATABASE_URL" not in os.environ:
        # Beside a running `tic dev`: its embedded PostgreSQL listens on a socket in its data folder.
        from tic_platform.embedded import EmbeddedPostgres

        pg_dir = Path(args.data).resolve() / "pg"
        if not pg_dir.exists():
            raise SystemExit(f"tic: no TIC_DATABASE_URL and no {pg_dir}: start ./tic dev, or set TIC_DATABASE_URL")
        url = EmbeddedPostgres(pg_dir, keep=True).url
        _say(f"checking the database of tic dev in {pg_dir}")
    lines = asyncio.run(audit_chains(services, url))
    for line in lines:
        print(line)
    return 1 if any("BROKEN" in line for line in lines) else 0


# ---- dev ----


def cmd_dev(args: argparse.Namespace) -> int:
    from tic_platform.embedded import EmbeddedPostgres, NatsServer

    data = Path(args.data).resolve()
    data.mkdir(parents=True, exist_ok=True)
    stoppers: list[Any] = []
    children: list[subprocess.Popen[bytes]] = []
    env = dict(os.environ)
    env.setdefault("TIC_ENVIRONMENT", "development")
    try:
        if "TIC_DATABASE_URL" in os.environ:
            _say("using PostgreSQL at TIC_DATABASE_URL")
        else:
            pg = EmbeddedPostgres(data / "pg", keep=True).start()
            stoppers.append(pg.stop)
            env["TIC_DATABASE_URL"] = pg.url
            _say(f"PostgreSQL (embedded) in {data / 'pg'}")
        # Each service connects to the embedded NATS as itself, with a password made for this run (issue 12).
        nats_env: dict[str, dict[str, str]] = {service: {} for service in SERVICES}
        if "TIC_NATS_URL" in os.environ:
            _say("using NATS at TIC_NATS_URL (credentials from TIC_NATS_USER / TIC_NATS_PASSWORD)")
        else:
            nats_server = NatsServer(data / "nats", port=args.nats_port).start()
            stoppers.append(nats_server.stop)
            env["TIC_NATS_URL"] = nats_server.url
            nats_env = {service: nats_server.env_for(service) for service in SERVICES}
            _say(f"NATS JetStream (embedded) on {nats_server.url}, one user per service")
            _say(f"  its users and passwords (the admin too): {nats_server.store_dir / 'nats-server.conf'}")
        os.environ.update(env)
        asyncio.run(_migrate(env["TIC_DATABASE_URL"], list(SERVICES), "head", down=False))
        for process in PROCESSES:
            children.append(
                subprocess.Popen(
                    _uvicorn(process.factory, args.host, process.dev_port),
                    env={
                        **env,
                        **nats_env[process.service],
                        "TIC_LOG_JSON": env.get("TIC_LOG_JSON", "false"),
                        **process.env,
                    },
                )
            )
        children.append(
            subprocess.Popen(
                _uvicorn("dashboard.main:create_app", args.host, CONSOLE_PORT),
                env={
                    **env,
                    **{f"TIC_DASHBOARD_{s.upper()}_URL": f"http://{args.host}:{PORTS[s]}" for s in SERVICES},
                },
            )
        )
        _wait_until_ready(args.host)
        if not args.no_demo:
            from tic_platform.demo import DemoApi, load_demo

            asyncio.run(load_demo(DemoApi({s: f"http://{args.host}:{PORTS[s]}" for s in SERVICES})))
        _print_banner(args.host)
        stop = {"now": False}

        def on_signal(*_: object) -> None:
            stop["now"] = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        while not stop["now"]:
            for child in children:
                if child.poll() is not None:
                    _say(f"a service exited with code {child.returncode}; stopping")
                    stop["now"] = True
            time.sleep(0.3)
        return 0
    finally:
        _say("stopping")
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        for stopper in reversed(stoppers):
            stopper()
        _say("stopped")


def _uvicorn(factory: str, host: str, port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "uvicorn", "--factory", factory),
        *("--host", host, "--port", str(port), "--log-level", "warning", "--no-server-header"),
    ]


def _wait_until_ready(host: str, timeout_s: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    probes = {p.name: f"http://{host}:{p.dev_port}/readyz" for p in PROCESSES}
    probes["console"] = f"http://{host}:{CONSOLE_PORT}/healthz"
    pending = set(probes)
    while pending and time.monotonic() < deadline:
        for service in list(pending):
            try:
                if httpx.get(probes[service], timeout=1).status_code == 200:
                    pending.discard(service)
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    if pending:
        raise SystemExit(f"tic: not ready after {timeout_s}s: {', '.join(sorted(pending))}")


def _print_banner(host: str) -> None:
    _say("the platform is up (Ctrl-C stops it):")
    _say(f"  {'console':<20} http://{host}:{CONSOLE_PORT}/  (sign in as any role: development sign-in)")
    for process in PROCESSES:
        where = "/docs" if process.serves_api else "/metrics  (sends e-mails and webhooks; no API)"
        _say(f"  {process.name:<20} http://{host}:{process.dev_port}{where}")
    _say("a token for the bureau admin:  ./tic token --role bureau_admin")


# ---- faults ----


def cmd_faults(args: argparse.Namespace) -> int:
    """The fault suite lives with the tests (tests/faults/); it is run here, not by pytest: it takes minutes."""
    sys.path.insert(0, str(ROOT / "tests" / "faults"))
    import suite

    argv = ["--n", str(args.n), "--concurrency", str(args.concurrency)]
    for name in args.only or []:
        argv += ["--only", name]
    result: int = suite.main(argv)
    return result


# ---- entry point ----


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tic", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run the whole platform locally with demo data")
    dev.add_argument("--data", default=str(ROOT / ".data"), help="where the embedded servers keep their data")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--nats-port", type=int, default=DEV_NATS_PORT)
    dev.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    dev.set_defaults(run=cmd_dev)

    migrate = commands.add_parser("migrate", help="bring the services' schemas to a revision")
    migrate.add_argument("--service", choices=SERVICES)
    migrate.add_argument("--revision", default="head")
    migrate.add_argument("--down", action="store_true", help="downgrade to --revision (e.g. base)")
    migrate.set_defaults(run=cmd_migrate)

    tok = commands.add_parser("token", help="mint a development token")
    tok.add_argument("--subject", default="dev-user")
    tok.add_argument("--role", action="append", default=[], help="bureau_admin, district_officer, …")
    tok.add_argument("--scope", action="append", default=[], help="registry:read, funding:approve, …")
    tok.add_argument("--district")
    tok.add_argument("--center")
    tok.add_argument("--department", help="for a department_officer: ningbo.science_technology, …")
    tok.add_argument("--name")
    tok.add_argument("--ttl", type=int, default=8 * 3600)
    tok.add_argument("--key", help="PEM signing key (default: the built-in development key)")
    tok.set_defaults(run=cmd_token)

    audit = commands.add_parser("audit", help="check the tamper-evident history chains")
    audit.add_argument("what", choices=["verify"], help="verify: recompute every chain and name any break")
    audit.add_argument("--service", choices=SERVICES)
    audit.add_argument(
        "--data", default=str(ROOT / ".data"), help="the data folder of tic dev (without TIC_DATABASE_URL)"
    )
    audit.set_defaults(run=cmd_audit)

    faults = commands.add_parser("faults", help="run the fault suite: approvals while parts of the platform fail")
    faults.add_argument("--n", type=int, default=100, help="centers approved per scenario")
    faults.add_argument("--concurrency", type=int, default=16)
    faults.add_argument("--only", action="append", help="run only this scenario (repeatable)")
    faults.set_defaults(run=cmd_faults)

    openapi = commands.add_parser("openapi", help="write the OpenAPI documents and event schemas to shared/")
    openapi.set_defaults(run=cmd_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
