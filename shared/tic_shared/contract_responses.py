"""The problem answers each operation may give, declared in the OpenAPI document from what it takes.

An operation with a path id can answer 404, one with a cursor 400, one with `If-Match` 412, one with
`Idempotency-Key` 409, one that reads a body 413. Declaring them here, from the operation's own parameters,
keeps the contract true for every route without each one repeating it (and a new route gets them too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from tic_shared.problems import _TITLES, PROBLEM_JSON

_BODY_METHODS = {"post", "put", "patch", "delete"}
_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}


def _answers(method: str, operation: dict[str, Any]) -> dict[int, str]:
    params = operation.get("parameters", [])
    where = {(param["in"], param["name"].lower()) for param in params}
    answers: dict[int, str] = {}
    if any(place == "path" for place, _ in where):
        answers[404] = "Not found, or not visible to you"
    if ("query", "cursor") in where:
        answers[400] = "The cursor is not one this API returned"
    if "requestBody" in operation:
        answers[400] = "The body cannot be parsed (not UTF-8, or not JSON)"
    if ("header", "if-match") in where:
        answers[412] = "`If-Match` names another version than the current one"
    if ("header", "idempotency-key") in where:
        answers[409] = "A conflict: a refused transition, or the same `Idempotency-Key` still in progress"
    if method in _BODY_METHODS:
        answers[413] = "The request body is larger than the service accepts"
    return answers


def declare_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Add the answers an operation may give but does not declare itself; returns the same document."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _BODY_METHODS | {"get", "head"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in _answers(method, operation).items():
                responses.setdefault(
                    str(status),
                    {
                        "description": description or _TITLES[status],
                        "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}},
                    },
                )
    return document


def install_problem_responses(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problem_responses(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
