"""The load of a bad day: centers taken from application to approval, many at once, by a client that retries.

Every POST carries an `Idempotency-Key` and is sent again with the same key and body until it gets a 2xx: a 5xx,
a refused or cut connection, a timeout or a "still in progress" are all retried, so whatever the fault, each
step ends exactly once. A client that "loses the response" abandons each first try at a random moment (before,
during or after the server acts) and asks again.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from tic_shared.auth import mint_token
from tic_shared.dated_acts import today
from tic_shared.settings import dev_signing_key

RETRYABLE_409 = "urn:tic:problem:idempotency-key-in-use"


def admin_headers() -> dict[str, str]:
    token = mint_token(dev_signing_key(), subject="fault-suite", roles=["bureau_admin"], ttl_s=4 * 3600)
    return {"Authorization": f"Bearer {token}"}


def _credit_code() -> str:
    from registry.domain.credit_code import check_character

    body = "91330200" + f"{uuid.uuid4().int % 10**9:09d}"
    return body + check_character(body)


@dataclass
class Driver:
    registry_url: str
    lose_responses: bool = False
    headers: dict[str, str] = field(default_factory=admin_headers)
    retries: int = 0
    lost: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=lambda: random.Random(13))

    async def post(self, client: httpx.AsyncClient, path: str, body: dict[str, Any], deadline: float) -> Any:
        """POST until it succeeds, always with the same key and body; the 2xx body."""
        headers = {**self.headers, "Idempotency-Key": uuid.uuid4().hex}
        first = True
        delay = 0.1
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"POST {path} did not succeed in time")
            if first and self.lose_responses:
                first = False
                attempt = asyncio.create_task(client.post(path, json=body, headers=headers))
                await asyncio.sleep(self._rng.uniform(0.0, 0.06))
                if not attempt.done():
                    attempt.cancel()
                    self.lost += 1
                    continue
            try:
                response = await client.post(path, json=body, headers=headers)
            except httpx.HTTPError:
                response = None
            if response is not None:
                self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
                if response.is_success:
                    return response.json()
                retryable = response.status_code >= 500 or (
                    response.status_code == 409 and response.json().get("type") == RETRYABLE_409
                )
                if not retryable:
                    raise AssertionError(f"POST {path}: {response.status_code} {response.text[:300]}")
            self.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def approve_one(self, client: httpx.AsyncClient, index: int, run: str, deadline: float) -> tuple[str, str]:
        """One center from application to approval, every act dated after the one before; (its id, its e-mail)."""
        approval = today()

        def before(days: int) -> str:
            return str(approval - timedelta(days=days))

        address = f"contact-{run}-{index}@example.cn"
        created = await self.post(
            client,
            "/api/v1/centers",
            {
                "name_zh": f"宁波市故障演练技术创新中心{index}",
                "name_en": f"Ningbo Fault Drill Center {index}",
                "tier": "municipal_tic",
                "origin": "municipal_initiative",
                "field": "industrial_internet",
                "industrial_chain": "工业互联网",
                "district": "yinzhou",
                "lead_unit": {
                    "name": f"宁波演练科技有限公司{index}",
                    "credit_code": _credit_code(),
                    "type": "enterprise",
                },
                "contacts": [{"name": "陈静", "email": address, "role": "联系人"}],
            },
            deadline,
        )
        center_id = str(created["id"])
        steps: list[tuple[str, dict[str, Any]]] = [
            ("submit", {"on": before(40)}),
            ("start-review", {"on": before(39)}),
            (
                "review",
                {"passed": True, "score": 88, "opinion": "同意", "experts": ["专家甲"], "reviewed_on": before(35)},
            ),
            ("decision", {"approved": True, "meeting_ref": "常务会议", "decided_on": before(30)}),
            # The public notice started weeks ago: it is over, so the center can be approved today.
            ("public-notice", {"starts_on": before(20)}),
            (
                "approve",
                {
                    "document_no": f"甬政发〔{approval.year}〕{index + 1}号",
                    "approved_on": str(approval),
                    "domain_zh": f"演练{run}{index}",
                    "domain_en": f"Drill {run} {index}",
                },
            ),
        ]
        for action, body in steps:
            await self.post(client, f"/api/v1/centers/{center_id}/{action}", body, deadline)
        return center_id, address

    async def approve_many(self, n: int, *, concurrency: int = 16, timeout_s: float = 300.0) -> dict[str, str]:
        """N centers approved, `concurrency` at a time; {center id: its contact's e-mail}."""
        run = uuid.uuid4().hex[:6]
        deadline = time.monotonic() + timeout_s
        gate = asyncio.Semaphore(concurrency)
        limits = httpx.Limits(max_connections=concurrency * 2)
        async with httpx.AsyncClient(base_url=self.registry_url, timeout=10, limits=limits) as client:

            async def one(index: int) -> tuple[str, str]:
                async with gate:
                    return await self.approve_one(client, index, run, deadline)

            done = await asyncio.gather(*(one(index) for index in range(n)))
        return dict(done)
