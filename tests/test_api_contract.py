"""The HTTP contract every service keeps: auth on every /api/v1 route, problem+json, the committed documents."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from tic_platform.contract import SERVICES, asyncapi, openapi_document, openapi_path
from tic_platform.testing import bearer
from tic_shared.auth import SCOPES
from tic_shared.events.schemas import EVENTS_DIR, all_event_schemas, render


def _operations(service: str) -> list[tuple[str, str, list[str]]]:
    """(method, concrete path, required scopes) for every /api/v1 operation of a service."""
    document = openapi_document(service)
    found = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in item.items():
            scopes = sorted({s for requirement in operation.get("security", []) for s in requirement.get("bearer", [])})
            concrete = re.sub(r"\{[^}]+\}", lambda m: "1" if "id" in m.group(0) else "x", path)
            found.append((method.upper(), concrete, scopes))
    return found


ALL_OPERATIONS = [(service, *operation) for service in SERVICES for operation in _operations(service)]


def test_every_api_route_declares_the_bearer_scheme() -> None:
    assert ALL_OPERATIONS
    for service in SERVICES:
        document = openapi_document(service)
        for path, item in document["paths"].items():
            if path.startswith("/api/v1"):
                for operation in item.values():
                    assert operation.get("security"), f"{service} {path} is not protected"


@pytest.mark.parametrize(("service", "method", "path", "scopes"), ALL_OPERATIONS)
async def test_every_api_route_answers_401_without_a_token(
    run_service: Any, service: str, method: str, path: str, scopes: list[str]
) -> None:
    async with run_service(service) as (_, client):
        response = await client.request(method, path, json={})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:tic:problem:unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("service", "method", "path", "scopes"), ALL_OPERATIONS)
async def test_every_api_route_answers_403_without_its_scope(
    run_service: Any, token: Callable[..., str], service: str, method: str, path: str, scopes: list[str]
) -> None:
    assert scopes, f"{method} {path} requires no scope"
    for missing in scopes:
        others = [scope for scope in SCOPES if scope != missing]
        async with run_service(service) as (_, client):
            response = await client.request(method, path, json={}, headers=bearer(token(scopes=others)))
        assert response.status_code == 403, response.text
        body = response.json()
        assert body["type"] == "urn:tic:problem:forbidden"
        assert missing in body["detail"]


async def test_bad_tokens_are_refused_with_401(run_service: Any, token: Callable[..., str], keys: Any) -> None:
    now = int(time.time())
    expired = jwt.encode(
        {"sub": "x", "iss": "tic-dev", "aud": "tic-platform", "exp": now - 10, "scope": "ops:read"},
        keys.private_pem,
        algorithm="EdDSA",
    )
    wrong_audience = jwt.encode(
        {"sub": "x", "iss": "tic-dev", "aud": "elsewhere", "exp": now + 60, "scope": "ops:read"},
        keys.private_pem,
        algorithm="EdDSA",
    )
    from cryptography.hazmat.primitives.asymmetric import ed25519

    stranger = ed25519.Ed25519PrivateKey.generate()
    forged = jwt.encode(
        {"sub": "x", "iss": "tic-dev", "aud": "tic-platform", "exp": now + 60, "scope": "ops:read"},
        stranger,
        algorithm="EdDSA",
    )
    async with run_service("registry") as (_, client):
        for bad in (expired, wrong_audience, forged, "not-a-jwt"):
            response = await client.get("/api/v1/outbox", headers=bearer(bad))
            assert response.status_code == 401, bad
            assert response.headers["content-type"] == "application/problem+json"
        assert (await client.get("/api/v1/outbox", headers={"Authorization": "Basic abc"})).status_code == 401
        ok = await client.get("/api/v1/outbox", headers=bearer(token(scopes=["ops:read"])))
        assert ok.status_code == 200


async def test_bad_input_is_a_problem_naming_the_field(run_service: Any, token: Callable[..., str]) -> None:
    async with run_service("funding") as (_, client):
        admin = bearer(token(roles=["bureau_admin"]))
        response = await client.get("/api/v1/dead-letters", params={"limit": 0, "state": "weird"}, headers=admin)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == "urn:tic:problem:validation-error"
        assert {error["field"] for error in body["errors"]} == {"query.limit", "query.state"}
        assert "query.limit" in body["detail"]

        bad_cursor = await client.get("/api/v1/dead-letters", params={"cursor": "%%%"}, headers=admin)
        assert bad_cursor.status_code == 400
        assert bad_cursor.json()["type"] == "urn:tic:problem:invalid-cursor"

        missing = await client.get("/api/v1/dead-letters/999999999", headers=admin)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"

        unknown = await client.get(f"/api/v1/{uuid.uuid4()}", headers=admin)
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("service", SERVICES)
def test_committed_openapi_equals_what_the_app_serves(service: str) -> None:
    committed = json.loads(openapi_path(service).read_text(encoding="utf-8"))
    assert committed == openapi_document(service), (
        f"run `./tic openapi` and commit shared/contract/openapi/{service}.json"
    )


def test_committed_event_schemas_equal_the_catalog() -> None:
    expected = all_event_schemas()
    committed = {path.name for path in EVENTS_DIR.glob("*.json")}
    assert committed == set(expected), "run `./tic openapi` and commit shared/contract/events/"
    for name, schema in expected.items():
        assert (EVENTS_DIR / name).read_text(encoding="utf-8") == render(schema), name
    committed_asyncapi = (EVENTS_DIR.parent / "asyncapi.json").read_text(encoding="utf-8")
    assert committed_asyncapi == render(asyncapi()), "run `./tic openapi` and commit shared/contract/asyncapi.json"


async def test_health_readiness_and_metrics(run_service: Any) -> None:
    async with run_service("evaluation") as (_, client):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        from tic_platform.testing import eventually

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready)
        metrics = await client.get("/metrics")
        assert "tic_http_request_duration_seconds" in metrics.text
        assert 'route="/readyz"' in metrics.text
        assert metrics.headers.get("x-request-id")
