"""Scale-out proven on one box: every service three times over, a three-node NATS JetStream cluster with
three-replica streams, one PostgreSQL — and then one NATS node and one replica of each service killed mid-flow.

    .venv/bin/python bench/scale_out.py [--approvals 1000] [--quick]

Two platforms, one after the other, each the fault suite's (tests/faults: real processes, a real SMTP server
and webhook receiver, the same client that retries with its Idempotency-Key): first one replica of each
service, then three. Both drive the same number of centers from application to approval; the second loses,
a few seconds in, NATS node 1 (kill -9) and the replica of each service whose outbox relay leads (kill -9).
Afterwards the fault suite's invariants are checked against what the streams hold: every center approved
once, one year-1 grant each, every e-mail and webhook owed received, nothing twice, outboxes empty, no dead
letters. Printed: approvals per second for one replica against three, and how long each service's relay
took to get a new leader. A bench, not part of pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import nats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "faults"))  # the fault suite's parts

from checks import Verdict, check
from drive import Driver, admin_headers
from loopback import SERVICES, Platform
from suite import CONVERGE_BOUND_S, subscribe, time_to_catch_up

from tic_platform.embedded import NatsServer, NatsUsers, free_port

NODES = 3
KILL_AFTER_S = 5.0


class ClusterNode(NatsServer):
    """One node of a loopback JetStream cluster: routes to its peers, its own store and name."""

    def __init__(self, store_dir: Path, *, name: str, cluster_port: int, peers: list[int], users: NatsUsers) -> None:
        super().__init__(store_dir, users=users)
        self.name = name
        self.cluster_port = cluster_port
        self.peers = peers

    def write_config(self) -> Path:
        path = super().write_config()
        config = json.loads(path.read_text())
        config["server_name"] = self.name
        config["cluster"] = {
            "name": "tic",
            "host": "127.0.0.1",
            "port": self.cluster_port,
            "routes": [f"nats://127.0.0.1:{port}" for port in self.peers],
        }
        path.write_text(json.dumps(config, indent=2))
        return path


class ScaledPlatform(Platform):
    """The fault suite's platform with `replicas` processes per service (replica r talks to NATS node r mod 3)
    and three NATS nodes; streams keep three replicas."""

    def __init__(self, folder: Path, replicas: int) -> None:
        super().__init__(folder, service_env={"TIC_STREAM_REPLICAS": str(NODES)})
        users = NatsUsers.of_this_process()
        routes = [free_port() for _ in range(NODES)]
        self.nodes = [
            ClusterNode(
                folder / f"nats-{i}",
                name=f"n{i}",
                cluster_port=routes[i],
                peers=[port for j, port in enumerate(routes) if j != i],
                users=users,
            )
            for i in range(NODES)
        ]
        self.nats = self.nodes[0]
        self.replicas = replicas
        self.replica_ports = {(s, r): free_port() for s in SERVICES for r in range(replicas)}
        self.down: set[tuple[str, int]] = set()

    def url(self, service: str) -> str:
        return self.replica_url(service, next(r for r in range(self.replicas) if (service, r) not in self.down))

    def replica_url(self, service: str, replica: int) -> str:
        return f"http://127.0.0.1:{self.replica_ports[(service, replica)]}"

    def live(self, service: str) -> list[int]:
        return [r for r in range(self.replicas) if (service, r) not in self.down]

    async def __aenter__(self) -> ScaledPlatform:
        from aiosmtpd.controller import Controller

        from tic_shared.migrations import upgrade

        self.folder.mkdir(parents=True, exist_ok=True)
        self.pg.start()
        for node in self.nodes:
            node.start()
        await _jetstream_ready(self.nats.admin_url)
        for service in SERVICES:
            await upgrade(service, self.pg.url, "head")
        self.smtp = Controller(self.mailbox, hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()
        await self.receiver.start()
        for service in SERVICES:
            for replica in range(self.replicas):
                self.start_replica(service, replica)
        await self._wait_ready()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for node in self.nodes[1:]:
            node.stop()
        await super().__aexit__(*exc)

    def start_replica(self, service: str, replica: int) -> None:
        import subprocess

        env = {**self._env(service), "TIC_NATS_URL": self.nodes[replica % NODES].url}
        log = open(self.folder / f"{service}-{replica}.log", "ab")  # noqa: SIM115 - kept open for the child
        port = self.replica_ports[(service, replica)]
        self.processes[f"{service}-{replica}"] = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--factory", f"{service}.main:create_app"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill_replica(self, service: str, replica: int) -> None:
        process = self.processes[f"{service}-{replica}"]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        self.down.add((service, replica))

    def kill_node(self, index: int) -> None:
        process = self.nodes[index].process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    async def _wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        pending = {(s, r) for s in SERVICES for r in range(self.replicas)}
        async with httpx.AsyncClient(timeout=2) as client:
            while pending:
                for service, replica in list(pending):
                    try:
                        if (await client.get(f"{self.replica_url(service, replica)}/readyz")).status_code == 200:
                            pending.discard((service, replica))
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(f"not ready: {sorted(pending)}")
                await asyncio.sleep(0.3)

    async def leader(self, service: str, headers: dict[str, str]) -> int | None:
        """The replica whose outbox relay holds the lead, if any answers so."""
        async with httpx.AsyncClient(headers=headers, timeout=2) as client:
            for replica in self.live(service):
                try:
                    status = (await client.get(f"{self.replica_url(service, replica)}/api/v1/outbox")).json()
                except (httpx.HTTPError, ValueError):
                    continue
                if status.get("relay_is_leader"):
                    return replica
        return None


async def _jetstream_ready(admin_url: str, timeout_s: float = 60.0) -> None:
    """Until the cluster has elected its JetStream meta leader (a stream can be created)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            nc = await nats.connect(admin_url, connect_timeout=1, allow_reconnect=False)
            try:
                await nc.jetstream().account_info()
                return
            finally:
                await nc.close()
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


class SpreadTransport(httpx.AsyncBaseTransport):
    """Sends each request to the next live registry replica, as a load balancer would."""

    def __init__(self, platform: ScaledPlatform) -> None:
        self.platform = platform
        self.inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=64))
        self.turn = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        live = self.platform.live("registry")
        self.turn += 1
        port = self.platform.replica_ports[("registry", live[self.turn % len(live)])]
        request.url = request.url.copy_with(host="127.0.0.1", port=port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def drive(platform: ScaledPlatform, driver: Driver, n: int, concurrency: int) -> dict[str, str]:
    run = f"{platform.replicas}x{int(time.time()) % 100000}"
    deadline = time.monotonic() + 600
    gate = asyncio.Semaphore(concurrency)
    transport = SpreadTransport(platform)
    async with httpx.AsyncClient(base_url="http://registry", timeout=10, transport=transport) as client:

        async def one(index: int) -> tuple[str, str]:
            async with gate:
                return await driver.approve_one(client, index, run, deadline)

        return dict(await asyncio.gather(*(one(index) for index in range(n))))


async def granted(platform: ScaledPlatform, headers: dict[str, str], centers: set[str]) -> int:
    """How many of `centers` have their year-1 grant (read from the database, not the API)."""
    import asyncpg

    from tic_shared.db import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(platform.pg.url))
    try:
        found = await conn.fetchval(
            "SELECT count(DISTINCT center_id) FROM funding.grants WHERE center_id::text = ANY($1::text[])",
            list(centers),
        )
        return int(found)
    finally:
        await conn.close()


async def phase(root: Path, replicas: int, n: int, concurrency: int, *, kill: bool) -> dict[str, Any]:
    headers = admin_headers()
    driver = Driver("")
    result: dict[str, Any] = {"replicas": replicas, "approvals": n, "failover_s": {}, "killed": []}
    async with ScaledPlatform(Path(tempfile.mkdtemp(prefix=f"scale-{replicas}-", dir=root)), replicas) as platform:
        await subscribe(platform, headers)
        started = time.monotonic()
        driving = asyncio.create_task(drive(platform, driver, n, concurrency))
        if kill:
            await asyncio.sleep(KILL_AFTER_S)
            leaders = {service: await platform.leader(service, headers) for service in SERVICES}
            platform.kill_node(1)
            result["killed"].append("NATS node n1")
            killed_at = time.monotonic()
            for service, leader in leaders.items():
                victim = leader if leader is not None else 0
                platform.kill_replica(service, victim)
                result["killed"].append(f"{service}-{victim}{' (relay leader)' if leader == victim else ''}")

            async def failover(service: str) -> None:
                while time.monotonic() - killed_at < 60:
                    if await platform.leader(service, headers) is not None:
                        result["failover_s"][service] = time.monotonic() - killed_at
                        return
                    await asyncio.sleep(0.1)

            await asyncio.gather(*(failover(service) for service in SERVICES))
        contacts = await driving
        driven = time.monotonic() - started
        # Throughput to the effect: until every approved center's year-1 grant is committed in funding.
        while await granted(platform, headers, set(contacts)) < len(contacts):
            if time.monotonic() - started > driven + CONVERGE_BOUND_S:
                break
            await asyncio.sleep(0.2)
        result["granted_s"] = time.monotonic() - started
        result["per_s"] = n / result["granted_s"]
        result["retries"] = driver.retries
        result["caught_up_s"] = await time_to_catch_up(platform, headers, since=time.monotonic())
        verdict = Verdict(problems=["not checked"])
        deadline = time.monotonic() + CONVERGE_BOUND_S
        while time.monotonic() < deadline:
            try:
                verdict = await check(platform, contacts, headers, allowed_repeats=64 if kill else 0)
            except (httpx.HTTPError, OSError, KeyError, ValueError) as exc:
                verdict = Verdict(problems=[f"cannot check yet: {type(exc).__name__}: {exc}"])
            if verdict.ok or any("twice" in problem for problem in verdict.problems):
                break
            await asyncio.sleep(1.0)
        result["verdict"] = verdict
    return result


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| replicas per service | faults | approvals | all granted after | approvals/s | client retries | invariants |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        verdict: Verdict = r["verdict"]
        held = "all held" if verdict.ok else "; ".join(verdict.problems)
        faults = ", ".join(r["killed"]) or "none"
        lines.append(
            f"| {r['replicas']} | {faults} | {r['approvals']} | {r['granted_s']:.1f} s | {r['per_s']:.1f} | "
            f"{r['retries']} | {held} |"
        )
    one, three = results[0], results[-1]
    lines.append("")
    lines.append(f"Three replicas against one: ×{three['per_s'] / one['per_s']:.2f} approvals/s (same run).")
    for service, seconds in sorted(three["failover_s"].items()):
        lines.append(f"- {service}: a relay leads again {seconds:.1f} s after its leader was killed")
    numbers = three["verdict"].numbers
    if numbers:
        lines.append("- checked with three replicas: " + ", ".join(f"{k} {v}" for k, v in numbers.items()))
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    root = Path(tempfile.mkdtemp(prefix="tic-scale-out-", dir="/tmp"))
    try:
        results = [
            await phase(root, 1, args.approvals, args.concurrency, kill=False),
            await phase(root, 3, args.approvals, args.concurrency, kill=True),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(report(results))
    return 0 if all(r["verdict"].ok for r in results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--approvals", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--quick", action="store_true", help="200 approvals")
    parsed = parser.parse_args()
    if parsed.quick:
        parsed.approvals = 200
    sys.exit(asyncio.run(main(parsed)))
