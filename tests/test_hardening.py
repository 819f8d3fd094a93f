"""What every service does at its edge, whatever the route: size limit, control characters, bounded ids,
security headers, 405 with every allowed method, a database outage as 503, /docs without a CDN."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.live import serving
from tic_platform.testing import bearer
from tic_shared.events.schemas import all_event_schemas


async def test_a_body_past_the_configured_limit_is_a_413_before_it_is_read(
    run_service: Any, token: Callable[..., str]
) -> None:
    admin = bearer(token(roles=["bureau_admin"]))
    async with run_service("registry", max_request_bytes=4096) as (_, client):
        big = await client.post("/api/v1/centers", content=b"[" + b"1," * 4000 + b"1]", headers=admin)
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        assert big.json()["max_body_bytes"] == 4096

        async def trickle() -> Any:  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b"x" * 1000

        streamed = await client.post("/api/v1/centers", content=trickle(), headers=admin)
        assert streamed.status_code == 413
        small = await client.post("/api/v1/centers", json={"name_zh": "x"}, headers=admin)
        assert small.status_code == 422


async def test_control_characters_are_refused_naming_the_input(run_service: Any, token: Callable[..., str]) -> None:
    admin = bearer(token(roles=["bureau_admin"]))
    async with run_service("registry") as (_, client):
        query = await client.get("/api/v1/centers", params={"q": "a\x00b", "district": "yinzhou"}, headers=admin)
        assert query.status_code == 422
        assert [e["field"] for e in query.json()["errors"]] == ["query.q"]
        body = await client.post(
            "/api/v1/centers",
            content=json.dumps({"name_zh": "a\u0000b", "lead_unit": {"name": "ok", "x\u0001": 1}}).encode(),
            headers={**admin, "Content-Type": "application/json"},
        )
        assert body.status_code == 422
        assert {e["field"] for e in body.json()["errors"]} == {"body.name_zh", "body.lead_unit.x\x01"}
        path = await client.get("/api/v1/reference/credit-codes/9133%00", headers=admin)
        assert path.status_code == 422 and path.json()["errors"][0]["field"] == "path"
        backspace = await client.post(
            "/api/v1/centers", content=b'{"name_zh": "a\\bb"}', headers={**admin, "Content-Type": "application/json"}
        )
        assert [e["field"] for e in backspace.json()["errors"]] == ["body.name_zh"]
        multiline = await client.get("/api/v1/centers", params={"q": "line\nbreak"}, headers=admin)
        assert multiline.status_code == 422  # a query holds no line breaks
    async with run_service("funding") as (_, client):
        budgets = await client.get("/api/v1/budgets", params={"jurisdiction": "\x00"}, headers=admin)
        assert budgets.status_code == 422


async def test_half_a_surrogate_pair_in_a_json_body_is_refused_naming_it_and_a_whole_pair_passes(
    run_service: Any, token: Callable[..., str]
) -> None:
    """`"\\ud800"` with no other half decodes to no character: it cannot be stored as UTF-8, and it was a 500 on
    every route that met it. An escaped pair (an emoji) is one character and goes through to the route."""
    admin = bearer(token(roles=["bureau_admin"]))
    headers = {**admin, "Content-Type": "application/json"}
    async with run_service("registry") as (_, client):
        lone = await client.post(
            "/api/v1/centers",
            content=b'{"name_zh": "half \\ud800 a pair", "lead_unit": {"\\udfff": 1}, "district": "\\udbff"}',
            headers=headers,
        )
        assert lone.status_code == 422, lone.text  # the district's was a 500: its message could not be written
        assert lone.headers["content-type"] == "application/problem+json"
        errors = {e["field"]: e["type"] for e in lone.json()["errors"]}
        assert errors == {
            "body.name_zh": "lone_surrogate",
            "body.lead_unit.\\udfff": "lone_surrogate",
            "body.district": "lone_surrogate",
        }
        pair = await client.post("/api/v1/centers", content=b'{"name_zh": "\\ud83d\\ude00"}', headers=headers)
        assert pair.status_code == 422  # the rest of the center is missing: the route's own validation says so
        assert "body.name_zh" not in {e["field"] for e in pair.json()["errors"]}


async def test_ids_and_amounts_past_int64_are_a_422_naming_them(run_service: Any, token: Callable[..., str]) -> None:
    admin = bearer(token(roles=["bureau_admin"]))
    for service in ("registry", "notification"):
        async with run_service(service) as (_, client):
            for big in (2**63, 18446744073709551616, 10**30):
                response = await client.get(f"/api/v1/dead-letters/{big}", headers=admin)
                assert response.status_code == 422, response.text
                assert response.json()["errors"][0]["field"] == "path.dead_letter_id"
    async with run_service("funding") as (_, client):
        for big in (2**63, 2**63 - 1, 10**15 + 1):
            response = await client.put("/api/v1/budgets/ningbo/2031", json={"budget_fen": big}, headers=admin)
            assert response.status_code == 422
            assert response.json()["errors"][0]["field"] == "body.budget_fen"


async def test_a_number_is_not_a_date(run_service: Any, token: Callable[..., str]) -> None:
    admin = bearer(token(roles=["bureau_admin"]))
    async with run_service("registry") as (_, client):
        for day in ("0", "2.5e-43", "1700000000"):
            response = await client.get("/api/v1/centers/stats/deadlines", params={"today": day}, headers=admin)
            assert response.status_code == 422, day
        for day in (0, "0", 1.5):
            response = await client.post(f"/api/v1/centers/{uuid.uuid4()}/submit", json={"on": day}, headers=admin)
            assert response.status_code == 422
            assert response.json()["errors"][0]["field"] == "body.on"


async def test_unknown_fields_are_refused_on_subscriptions_and_the_inbox(
    run_service: Any, token: Callable[..., str]
) -> None:
    admin = bearer(token(roles=["bureau_admin"]))
    async with run_service("notification") as (_, client):
        sub = await client.post(
            "/api/v1/subscriptions",
            json={"url": "http://127.0.0.1:9/x", "event_types": ["*"], "secret": "mine"},
            headers=admin,
        )
        assert sub.status_code == 422 and sub.json()["errors"][0]["field"] == "body.secret"
        read = await client.post("/api/v1/inbox/read", json={"all": True, "everything": True}, headers=admin)
        assert read.status_code == 422
        assert "body.everything" in [e["field"] for e in read.json()["errors"]]


async def test_forged_rs256_and_es256_tokens_are_a_401(run_service: Any) -> None:
    claims = {"sub": "x", "iss": "tic-dev", "aud": "tic-platform", "exp": int(time.time()) + 60}
    forged = [
        jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256"),
        jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256"),
    ]
    async with run_service("evaluation") as (_, client):
        for bad in forged:
            response = await client.get("/api/v1/outbox", headers=bearer(bad))
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"


async def test_security_headers_and_no_cache_of_personal_data(run_service: Any, token: Callable[..., str]) -> None:
    admin = bearer(token(roles=["bureau_admin"]))
    async with run_service("registry") as (_, client):
        for response in (
            await client.get("/api/v1/centers", headers=admin),
            await client.get("/api/v1/centers"),  # a 401 too
            await client.get("/healthz"),
        ):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
        assert (await client.get("/api/v1/centers", headers=admin)).headers["cache-control"] == "no-store"


async def test_405_names_every_method_the_path_allows(run_service: Any, token: Callable[..., str]) -> None:
    admin = bearer(token(roles=["bureau_admin"]))
    async with run_service("notification") as (_, client):
        response = await client.request("PUT", f"/api/v1/subscriptions/{uuid.uuid4()}", headers=admin)
        assert response.status_code == 405
        assert response.headers["content-type"] == "application/problem+json"
        assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE"}


async def test_a_database_outage_is_a_503_with_retry_after(run_service: Any, token: Callable[..., str]) -> None:
    admin = bearer(token(roles=["bureau_admin"]))
    # Nothing listens on port 9 of the loopback: every connection is refused, as when the database is down.
    async with run_service("funding", database_url="postgresql://postgres@127.0.0.1:9/postgres") as (_, client):
        for path in ("/api/v1/grants", "/api/v1/dead-letters", "/api/v1/budgets"):
            response = await client.get(path, headers=admin)
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) > 0
            assert response.json()["type"] == "urn:tic:problem:database-unavailable"


def test_docs_come_from_the_service_itself_and_no_server_header(make_settings: Callable[..., Any]) -> None:
    with serving("funding", make_settings("funding")) as base_url:
        docs = httpx.get(f"{base_url}/docs")
        assert docs.status_code == 200
        assert "server" not in docs.headers
        assert "cdn" not in docs.text.lower() and "https://" not in docs.text
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            served = httpx.get(f"{base_url}/docs/assets/{asset}")
            assert served.status_code == 200 and len(served.content) > 10_000


def test_the_event_envelope_requires_what_every_event_carries() -> None:
    for name, schema in all_event_schemas().items():
        assert {"id", "specversion", "source", "type", "time", "data"} <= set(schema["required"]), name


async def test_a_transaction_the_database_rolls_back_for_a_deadlock_is_a_503_to_retry(database_url: str) -> None:
    """Two transactions that lock the same rows in opposite orders: PostgreSQL rolls one back. Its request is
    answered 503 with Retry-After (nothing was written; the same request again passes), never a 500."""
    import asyncio

    import asyncpg
    from fastapi import FastAPI

    from tic_shared.db import asyncpg_dsn
    from tic_shared.problems import install_problem_handlers

    table = f"public.deadlock_probe_{uuid.uuid4().hex[:8]}"
    dsn = asyncpg_dsn(database_url)
    setup = await asyncpg.connect(dsn)
    await setup.execute(f"CREATE TABLE {table} (id int PRIMARY KEY); INSERT INTO {table} VALUES (1), (2)")

    async def lock_in_order(first: int, then: int, both_hold: asyncio.Barrier) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            async with conn.transaction():
                await conn.execute(f"SELECT * FROM {table} WHERE id = $1 FOR UPDATE", first)
                await both_hold.wait()
                await conn.execute(f"SELECT * FROM {table} WHERE id = $1 FOR UPDATE", then)
        finally:
            await conn.close()

    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/clash")
    async def clash() -> None:
        both_hold = asyncio.Barrier(2)
        outcomes = await asyncio.gather(
            lock_in_order(1, 2, both_hold), lock_in_order(2, 1, both_hold), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/clash")
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert response.json()["type"] == "urn:tic:problem:transaction-conflict"
    finally:
        await setup.execute(f"DROP TABLE {table}")
        await setup.close()
