"""The access matrix, generated from the committed OpenAPI documents: every GET route of every service, asked by
every kind of principal about what is its own and what is not, and by every kind of bad token.

A principal that may not see a center must never get it, nor its grants, ledger entries, name or lead unit, on
any route, in any list or aggregate; asked for it by id, the answer is 404. No answer is a 500. A route added
to any service is in the matrix the day it is added: nothing here names a route.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.world import DISTRICTS, EMPTY_DISTRICT, World
from tic_platform.contract import SERVICES, openapi_path
from tic_platform.testing import bearer
from tic_shared.auth import SCOPES

# Money that only the grants of visible centers can make non-zero: a principal who sees no center sees 0.
SCOPED_SUMS = {"committed_fen", "disbursed_fen", "calculated_fen", "granted_fen", "compliant_spent_fen"}


@dataclass(frozen=True)
class Route:
    service: str
    path: str
    operation: dict[str, Any]

    def path_params(self) -> list[dict[str, Any]]:
        return [p for p in self.operation.get("parameters", []) if p["in"] == "path"]

    def query_params(self) -> list[dict[str, Any]]:
        return [p for p in self.operation.get("parameters", []) if p["in"] == "query"]


def get_routes() -> list[Route]:
    routes = []
    for service in SERVICES:
        document = json.loads(openapi_path(service).read_text(encoding="utf-8"))
        for path, item in document["paths"].items():
            if path.startswith("/api/") and "get" in item:
                routes.append(Route(service, path, item["get"]))
    return routes


@dataclass(frozen=True)
class Who:
    name: str
    claims: dict[str, Any]
    hidden: tuple[int, ...]
    """Indexes of the world's centers this principal may not see."""

    @property
    def sees_nothing(self) -> bool:
        return len(self.hidden) == len(DISTRICTS)


def principals(world: World) -> list[Who]:
    a, b = world.centers
    everything: tuple[int, ...] = ()
    return [
        Who("bureau admin", {"roles": ["bureau_admin"]}, everything),
        Who("bureau reviewer", {"roles": ["bureau_reviewer"]}, everything),
        Who("government system", {"scopes": sorted(s for s in SCOPES if s.endswith(":read"))}, everything),
        Who(f"district officer of {a.district}", {"roles": ["district_officer"], "district": a.district}, (1,)),
        Who(f"district officer of {b.district}", {"roles": ["district_officer"], "district": b.district}, (0,)),
        Who(
            "district officer of an empty district", {"roles": ["district_officer"], "district": EMPTY_DISTRICT}, (0, 1)
        ),
        Who("district officer without a district", {"roles": ["district_officer"]}, (0, 1)),
        Who("center user of A", {"roles": ["center_user"], "center_id": a.center_id}, (1,)),
        Who("center user of B", {"roles": ["center_user"], "center_id": b.center_id}, (0,)),
        Who("center user of no center", {"roles": ["center_user"], "center_id": str(uuid.uuid4())}, (0, 1)),
        Who("center user without a center", {"roles": ["center_user"]}, (0, 1)),
        Who("expert", {"roles": ["expert"]}, (0, 1)),
    ]


def _placeholder(param: dict[str, Any]) -> str:
    """A value of the parameter's type for an id the world does not hold (the answer is then 404 or 422)."""
    schema = param.get("schema", {})
    schema = next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema)
    if schema.get("format") == "uuid":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, param["name"]))  # the same on every call: snapshots compare
    if schema.get("type") == "integer":
        return str(max(1, int(schema.get("minimum", 1))))
    if schema.get("enum"):
        return str(schema["enum"][0])
    return str((schema.get("examples") or param.get("examples") or ["x"])[0])


def requests_for(route: Route, world: World) -> list[tuple[str, dict[str, str], int | None]]:
    """(path, query, the center it is about): the route about each center of the world, and about nothing."""
    variants: list[tuple[str, dict[str, str], int | None]] = []
    center_ids = [c.center_id for c in world.centers]
    grants = [c.grant_ids[0] for c in world.centers]
    names = {p["name"] for p in route.path_params()}
    about: list[int | None] = [0, 1] if names & {"center_id", "grant_id"} else [None]
    for index in about:
        path = route.path
        for param in route.path_params():
            value = {
                "center_id": center_ids[index] if index is not None else None,
                "grant_id": grants[index] if index is not None else None,
                "subscription_id": world.subscription_id,
                "jurisdiction": "ningbo",
                "year": str(world.budget_year),
                "policy_code": "ningbo-tic-2022",
                "locale": "zh",
                "event_name": "CenterApproved",
            }.get(param["name"]) or _placeholder(param)
            path = path.replace("{" + param["name"] + "}", value)
        variants.append((path, {}, index))
    queries = {p["name"] for p in route.query_params()}
    for index, center in enumerate(world.centers):
        if "center_id" in queries:
            variants.append((route.path, {"center_id": center.center_id}, index))
        if "district" in queries:
            variants.append((route.path, {"district": center.district}, index))
    return [v for v in variants if "{" not in v[0]]


def _sums(value: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SCOPED_SUMS and item:
                found.append((key, item))
            found.extend(_sums(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_sums(item))
    return found


@pytest.mark.slow
async def test_no_principal_sees_what_is_not_its_own_on_any_get_route(world: World, token: Callable[..., str]) -> None:
    routes = get_routes()
    assert len(routes) > 40
    problems: list[str] = []
    asked = 0
    for who in principals(world):
        headers = bearer(token(subject=f"matrix-{who.name}", **who.claims))
        hidden = [marker for index in who.hidden for marker in world.centers[index].markers]
        for route in routes:
            client = world.clients[route.service]
            for path, query, about in requests_for(route, world):
                response = await client.get(path, params=query, headers=headers)
                asked += 1
                where = f"{who.name}: GET {route.service}{path} {query or ''} -> {response.status_code}"
                if response.status_code >= 500:
                    problems.append(f"{where}: a server error")
                    continue
                # What the caller sent (an id in the path, echoed by a 404) is not a leak.
                asked_for = path + " " + " ".join(query.values())
                leaked = [m for m in hidden if m in response.text and m not in asked_for]
                if leaked:
                    problems.append(f"{where}: leaks {leaked[:3]}")
                if about in who.hidden and not query and response.status_code not in (403, 404):
                    problems.append(f"{where}: a center it may not see is answered, not 404")
                if who.sees_nothing and response.status_code == 200 and (sums := _sums(response.json())):
                    problems.append(f"{where}: sums of grants it may not see {sums[:3]}")
    assert asked > 500
    assert not problems, f"{len(problems)} of {asked} answers are wrong:\n" + "\n".join(problems[:60])


# ---- the bad-token set ----


def _pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def bad_tokens(keys: Any) -> dict[str, str]:
    """Every way a token can be wrong that we know of; each must be a 401, never a 500."""
    now = int(time.time())
    claims = {"sub": "intruder", "iss": "tic-dev", "aud": "tic-platform", "exp": now + 600, "roles": ["bureau_admin"]}
    ours = keys.private_pem

    def signed(payload: dict[str, Any], key: Any = ours, algorithm: str = "EdDSA", **header: Any) -> str:
        return jwt.encode(payload, key, algorithm=algorithm, headers=header or None)

    good = signed(claims)
    head, body, signature = good.split(".")
    other = signed({**claims, "sub": "someone-else"})
    tampered_body = jwt.utils.base64url_encode(json.dumps({**claims, "sub": "root"}).encode()).decode()
    unsigned_header = jwt.utils.base64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode()
    public_pem = keys.public_pem
    return {
        "garbage": "not-a-jwt",
        "three dots of garbage": "a.b.c",
        "expired": signed({**claims, "exp": now - 60}),
        "not yet valid": signed({**claims, "nbf": now + 3600}),
        "foreign Ed25519 key": signed(claims, ed25519.Ed25519PrivateKey.generate()),
        "foreign RS256 key": signed(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        "foreign ES256 key": signed(claims, ec.generate_private_key(ec.SECP256R1()), "ES256"),
        "RS256 header on our signature": f"{_b64({'alg': 'RS256'})}.{body}.{signature}",
        "ES256 header on our signature": f"{_b64({'alg': 'ES256'})}.{body}.{signature}",
        "alg none": f"{unsigned_header}.{body}.",
        "HS256 keyed with our public key": _hs256_with(public_pem, claims),
        "spliced signature": f"{head}.{body}.{other.split('.')[2]}",
        "tampered payload": f"{head}.{tampered_body}.{signature}",
        "wrong audience": signed({**claims, "aud": "elsewhere"}),
        "wrong issuer": signed({**claims, "iss": "elsewhere"}),
        "no exp": signed({k: v for k, v in claims.items() if k != "exp"}),
        "no sub": signed({k: v for k, v in claims.items() if k != "sub"}),
        "malformed center_id": signed({**claims, "roles": ["center_user"], "center_id": "not-a-uuid"}),
    }


def _b64(value: dict[str, Any]) -> str:
    return jwt.utils.base64url_encode(json.dumps(value).encode()).decode()


def _hs256_with(secret: str, claims: dict[str, Any]) -> str:
    # PyJWT refuses a PEM as an HMAC key; build the token by hand, as an attacker would.
    import hashlib
    import hmac

    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).decode()
    payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    mac = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{jwt.utils.base64url_encode(mac).decode()}"


def _concrete(path: str) -> str:
    return re.sub(
        r"\{[^}]+\}", lambda m: "1" if m.group(0).endswith("_id}") and "dead" in path else str(uuid.uuid4()), path
    )


async def test_every_bad_token_is_a_401_on_every_get_route(run_service: Any, keys: Any) -> None:
    tokens = bad_tokens(keys)
    problems: list[str] = []
    by_service: dict[str, list[Route]] = {}
    for route in get_routes():
        by_service.setdefault(route.service, []).append(route)
    for service, routes in by_service.items():
        async with run_service(service) as (_, client):
            for route in routes:
                path = _concrete(route.path)
                for name, bad in [("no token", ""), *tokens.items()]:
                    headers = bearer(bad) if bad else {}
                    response: httpx.Response = await client.get(path, headers=headers)
                    if response.status_code != 401 or response.headers["content-type"] != "application/problem+json":
                        problems.append(f"{name}: GET {service}{path} -> {response.status_code} {response.text[:120]}")
    assert not problems, "\n".join(problems[:60])
