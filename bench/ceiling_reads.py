"""The read path beside its raw ceiling, in one run: one center over HTTP against a bare FastAPI + asyncpg
primary-key select served the same way, and the registry's lists and counts over 100,000 centers against the
same queries over 1,000.

    .venv/bin/python bench/ceiling_reads.py [--quick]

Starts its own embedded PostgreSQL and NATS; loads the centers with COPY (bench/registry_queries.py). The HTTP
figure runs each app under uvicorn, one worker, as the image runs it, and drives both with Debian's `wrk`
(32 connections, one thread); without `wrk` on PATH that figure is left out and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import Figure
from registry_queries import _load, _measure

from tic_platform.embedded import EmbeddedPostgres, NatsServer, create_database, free_port
from tic_platform.testing import create_app, running
from tic_shared.auth import mint_token
from tic_shared.db import asyncpg_dsn
from tic_shared.migrations import upgrade
from tic_shared.settings import ServiceSettings, dev_signing_key

BENCH = Path(__file__).resolve().parent


def _admin() -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(dev_signing_key(), subject="bench", roles=["bureau_admin"])}


def _officer() -> dict[str, str]:
    token = mint_token(dev_signing_key(), subject="o", roles=["district_officer"], district="yinzhou")
    return {"Authorization": "Bearer " + token}


def _serve(app: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **env, "UVICORN_WORKERS": "1", "UVICORN_SERVER_HEADER": "false"},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=BENCH,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=1)
            return process
        except Exception:
            time.sleep(0.2)
    process.kill()
    raise TimeoutError(f"{app} did not start; see {log}")


def _wrk(url: str, headers: dict[str, str], seconds: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) from one wrk run."""
    header_args = [arg for key, value in headers.items() for arg in ("-H", f"{key}: {value}")]
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency", *header_args, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rate, float(p99) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def get_one_figure(root: Path, url: str, nats: NatsServer, center_id: str, seconds: int) -> Figure | None:
    if shutil.which("wrk") is None:
        print("GET one center: left out — install Debian's wrk to measure it", flush=True)
        return None
    ours_port, bare_port = free_port(), free_port()
    registry = _serve(
        "registry.main:create_app",
        ours_port,
        {"TIC_DATABASE_URL": url, "TIC_LOG_LEVEL": "INFO", **nats.env_for("registry")},
        root / "registry.log",
    )
    bare = _serve("bare_read:create_app", bare_port, {"TIC_BENCH_DSN": asyncpg_dsn(url)}, root / "bare.log")
    try:
        _wrk(f"http://127.0.0.1:{bare_port}/centers/{center_id}", {}, 2)  # warm both
        _wrk(f"http://127.0.0.1:{ours_port}/api/v1/centers/{center_id}", _admin(), 2)
        raw_rate, raw_p99 = _wrk(f"http://127.0.0.1:{bare_port}/centers/{center_id}", {}, seconds)
        rate, p99 = _wrk(f"http://127.0.0.1:{ours_port}/api/v1/centers/{center_id}", _admin(), seconds)
    finally:
        for process in (registry, bare):
            process.terminate()
            process.wait(15)
    return Figure(
        name="GET one center (JWT, scoping, ETag), 1 worker, 32 connections",
        unit="req/s",
        ours=rate,
        baseline=raw_rate,
        baseline_label="bare FastAPI + asyncpg PK select",
        goal=0.6,
        higher_is_better=True,
        detail=f"p99 {p99:.1f} ms (raw {raw_p99:.1f} ms)",
    )


LIST_QUERIES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("list, newest 50", "/api/v1/centers", {}, False),
    ("list status=building", "/api/v1/centers", {"status": "building"}, False),
    ("list district+status+tier", "/api/v1/centers", {"district": "zhenhai", "status": "operating"}, False),
    ("list text search (a center's number)", "/api/v1/centers", {"q": "第42号"}, False),
    ("list as district officer", "/api/v1/centers", {"status": "building"}, True),
    ("counts by status", "/api/v1/centers/stats/counts", {"by": "status"}, False),
    (
        "counts by district, field filter",
        "/api/v1/centers/stats/counts",
        {"by": "district", "field": "new_materials"},
        False,
    ),
    ("counts by tier as district officer", "/api/v1/centers/stats/counts", {"by": "tier"}, True),
    ("deadlines within 90 days", "/api/v1/centers/stats/deadlines", {"within_days": 90}, False),
    ("program targets", "/api/v1/program-targets", {}, False),
]


async def _lists(url: str, nats_url: str, rounds: int) -> dict[str, list[float]]:
    settings = ServiceSettings(service="registry", database_url=url, nats_url=nats_url, log_level="WARNING")
    async with running(create_app("registry", settings)) as client:
        return {
            name: await _measure(client, path, params, _officer() if officer else _admin(), rounds)
            for name, path, params, officer in LIST_QUERIES
        }


async def measure_reads(*, quick: bool) -> list[Figure]:
    root = Path(tempfile.mkdtemp(prefix="tic-ceiling-reads-", dir="/tmp"))
    pg = EmbeddedPostgres(root / "pg", keep=False).start()
    nats = NatsServer(root / "nats").start()
    big, small = (20_000, 1_000) if quick else (100_000, 1_000)
    rounds = 30 if quick else 100
    try:
        urls = {}
        for count in (small, big):
            urls[count] = await create_database(pg.url, f"reads_{count}")
            await upgrade("registry", urls[count])
            await _load(urls[count], count)
        timings = {count: await _lists(urls[count], nats.admin_url, rounds) for count in (small, big)}
        figures = [
            Figure(
                name=f"{name}: {big:,} vs {small:,} centers",
                unit="ms p50",
                ours=statistics.median(timings[big][name]),
                baseline=statistics.median(timings[small][name]),
                baseline_label=f"the same query over {small:,}",
                goal=2,
                higher_is_better=False,
                samples={"ours": timings[big][name], "baseline": timings[small][name]},
            )
            for name, *_ in LIST_QUERIES
        ]
        import asyncpg

        conn = await asyncpg.connect(asyncpg_dsn(urls[big]))
        center_id = str(await conn.fetchval("SELECT id FROM registry.centers LIMIT 1"))
        await conn.close()
        one = await get_one_figure(root, urls[big], nats, center_id, 5 if quick else 10)
        return ([one] if one else []) + figures
    finally:
        nats.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    from ceiling_events import table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 centers instead of 100,000; shorter runs")
    args = parser.parse_args()
    print(table(asyncio.run(measure_reads(quick=args.quick))))


if __name__ == "__main__":
    main()
