"""Bad input on every write endpoint, generated from the committed OpenAPI documents: malformed JSON, wrong
types, NUL and other control characters, half of a UTF-16 surrogate pair, 1 MB strings, integers past int64,
unknown enum values, invalid UUIDs, unknown fields, oversized bodies. Each is a 4xx problem+json naming the field,
and afterwards every GET route reads back exactly what it read before: nothing was written, not even in part.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.test_access_matrix import Route, get_routes, requests_for
from tests.world import World
from tic_platform.contract import SERVICES, openapi_path
from tic_platform.testing import eventually

MEGABYTE_STRING = "x" * 1_000_000
INT64_PAST = (2**63, -(2**63) - 1, 10**30)
WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class WriteRoute(Route):
    method: str = "post"
    body: dict[str, Any] | None = None
    """The body's schema, references resolved at the top; None when the operation takes no JSON body."""


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def write_routes() -> list[WriteRoute]:
    routes = []
    for service in SERVICES:
        document = json.loads(openapi_path(service).read_text(encoding="utf-8"))
        for path, item in document["paths"].items():
            for method in WRITE_METHODS:
                if method not in item or not path.startswith("/api/"):
                    continue
                operation = item[method]
                content = operation.get("requestBody", {}).get("content", {}).get("application/json")
                body = _resolve(document, content["schema"]) if content else None
                routes.append(WriteRoute(service, path, operation, method, body))
    return routes


def _leaf(document_schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null alternative of a nullable property."""
    options = [s for s in document_schema.get("anyOf", []) if s.get("type") != "null"]
    return options[0] if len(options) == 1 else document_schema


def bad_values(prop: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(what is wrong, the value) for one property of a body."""
    schema = _leaf(prop)
    kind = schema.get("type")
    yield "wrong type", {"an": "object"} if kind != "object" else "not an object"
    if kind == "string" or "enum" in schema or "const" in schema:
        yield "NUL", "a\x00b"
        yield "control character", "bell\x07"
        yield "lone surrogate", "half \ud800 a pair"
        if schema.get("format") == "uuid":
            yield "invalid UUID", "not-a-uuid"
        elif schema.get("format") == "date":
            yield "a number as a date", 0
        elif "enum" in schema or "const" in schema:
            yield "unknown enum value", "no_such_value"
        else:
            yield "1 MB string", MEGABYTE_STRING
    if kind == "integer":
        for value in INT64_PAST:
            yield f"integer {value}", value


@dataclass
class Verdicts:
    problems: list[str]
    sent: int = 0

    def check(self, route: WriteRoute, what: str, response: httpx.Response, field: str | None) -> None:
        self.sent += 1
        where = f"{route.method.upper()} {route.service}{route.path} with {what} -> {response.status_code}"
        if not 400 <= response.status_code < 500:
            self.problems.append(f"{where}: not a 4xx: {response.text[:200]}")
            return
        if response.headers.get("content-type") != "application/problem+json":
            self.problems.append(f"{where}: not problem+json")
            return
        if field is None or response.status_code == 413:
            return
        body = response.json()
        named = [e.get("field", "") for e in body.get("errors") or []]
        if not any(name == field or name.startswith(field + ".") for name in named) and field not in (
            body.get("detail") or ""
        ):
            self.problems.append(f"{where}: does not name {field} (named {named[:5]}, {body.get('detail')!r:.120})")


async def _snapshot(world: World) -> dict[str, str]:
    """Every GET route (about each center too) as the bureau admin reads it, but for the event backbone's
    own counters, which move by themselves."""
    seen: dict[str, str] = {}
    for route in get_routes():
        if route.path.endswith("/outbox"):
            continue
        for path, query, _ in requests_for(route, world):
            response = await world.clients[route.service].get(path, params=query, headers=world.admin)
            seen[f"{route.service} {path} {query}"] = f"{response.status_code} {response.text}"
    return seen


async def _try_everything(world: World, route: WriteRoute, verdicts: Verdicts) -> None:
    client = world.clients[route.service]
    # About the first center of the world where the route is about one: validation comes before the lookup.
    path = next((p for p, _, about in requests_for(route, world) if about in (0, None)), route.path)
    headers = {**world.admin, "Content-Type": "application/json"}
    method = route.method.upper()

    async def send(raw: bytes) -> httpx.Response:
        return await client.request(method, path, content=raw, headers=headers)

    response = await send(b'{"padding": "' + b"x" * (3 * 1024 * 1024) + b'"}')
    verdicts.check(route, "a 3 MB body", response, None)
    if response.status_code != 413:
        verdicts.problems.append(f"{method} {route.service}{path}: a 3 MB body is not a 413 but {response.status_code}")
    if route.body is None:
        return  # a route that reads no body ignores what is sent in one (bar its size)
    verdicts.check(route, "malformed JSON", await send(b'{"unclosed": '), None)
    verdicts.check(route, "invalid UTF-8", await send(b'{"a": "\xff\xfe"}'), None)
    verdicts.check(route, "a JSON array for a body", await send(b"[1, 2]"), None)
    properties = route.body.get("properties")
    if not properties:
        return
    verdicts.check(route, "an unknown field", await send(b'{"no_such_field": 1}'), "body.no_such_field")
    for name, prop in properties.items():
        for what, value in bad_values(prop):
            raw = json.dumps({name: value}).encode()
            verdicts.check(route, f"{what} in {name}", await send(raw), f"body.{name}")


@pytest.mark.slow
async def test_bad_input_on_any_write_endpoint_is_a_4xx_naming_the_field_and_writes_nothing(world: World) -> None:
    routes = write_routes()
    assert len(routes) > 40
    verdicts = Verdicts(problems=[])
    previous: dict[str, str] = {}

    async def settled() -> dict[str, str]:
        # The events of the world's making are still being applied for a moment: wait until nothing moves.
        nonlocal previous
        current = await _snapshot(world)
        stable, previous = current == previous, current
        return current if stable else {}

    before = await eventually(settled, timeout_s=30, interval_s=0.3)
    for route in routes:
        await _try_everything(world, route, verdicts)
    after = await _snapshot(world)
    changed = sorted(key for key in before if before[key] != after.get(key))
    assert verdicts.sent > 500
    assert not verdicts.problems, f"{len(verdicts.problems)} of {verdicts.sent}:\n" + "\n".join(verdicts.problems[:60])
    assert not changed, f"bad input changed what these read: {changed[:20]}"
