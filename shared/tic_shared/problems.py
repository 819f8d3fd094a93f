"""RFC 9457 problem details: every error any service returns, validation errors with their field paths."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from tic_shared.db import driver_says_connection_lost

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:tic:problem:"

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Validation error",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
_SLUGS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    412: "precondition-failed",
    428: "precondition-required",
    415: "unsupported-media-type",
}


class FieldError(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"field": "body.budget_fen", "message": "…", "type": "less_than_equal"}]}
    )

    field: str = Field(description="Dotted path of the offending input, e.g. `body.lead_unit.credit_code`.")
    message: str
    type: str
    context: dict[str, str | int | float | bool] | None = Field(
        default=None,
        description="The figures of the rule that refused it, for a client to say it in its own words: "
        "`ge` / `gt` / `le` / `lt` for a bound, `min_length` / `max_length` for a length, `expected` for a choice.",
        examples=[{"le": 1000000000000000}],
    )


class DatedActRef(BaseModel):
    act: str = Field(examples=["end of the public notice"])
    on: date


class ProblemDetails(BaseModel):
    """The body of every error response (RFC 9457)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:tic:problem:validation-error",
                    "title": "Validation error",
                    "status": 422,
                    "detail": "invalid input: body.budget_fen",
                    "instance": "/api/v1/budgets/ningbo/2027",
                    "errors": [
                        {
                            "field": "body.budget_fen",
                            "message": "Input should be less than or equal to 1000000000000000",
                            "type": "less_than_equal",
                            "context": {"le": 1000000000000000},
                        }
                    ],
                }
            ]
        }
    )

    type: str = Field(examples=["urn:tic:problem:validation-error"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    # Facts some problems carry besides their words, for a client to say them in its own (the console does).
    current_state: str | None = Field(default=None, description="A refused transition: the state it was refused in")
    allowed_actions: list[str] | None = Field(default=None, description="A refused transition: what that state allows")
    rule: Literal["in_future", "before", "not_before"] | None = Field(
        default=None,
        description="`act-date-refused`: the date is after today, before the act it collides with, or not before "
        "the act it must come before",
    )
    conflicts_with: DatedActRef | None = Field(default=None, description="`act-date-refused`: that act")
    today: date | None = Field(default=None, description="`act-date-refused` with rule `in_future`: the day it is")
    field: str | None = Field(default=None, description="`name-taken` at approval: the input that tells centers apart")
    held_by: str | None = Field(default=None, description="`name-taken`: the registry code of the center holding it")
    owed_fen: int | None = Field(default=None, description="`overpayment`: what is still owed")
    budget_fen: int | None = Field(default=None, description="`budget-exceeded`: the year's budget")
    committed_fen: int | None = Field(default=None, description="`budget-exceeded`: what is committed of it")
    requested_fen: int | None = Field(default=None, description="`budget-exceeded`: what was asked for")
    year: int | None = Field(
        default=None, description="`round-exists`, `year-in-future`, `year-outside-plan`: the year"
    )
    first_year: int | None = Field(default=None, description="`year-outside-plan`: the first year a figure is for")
    last_year: int | None = Field(default=None, description="`year-outside-plan`: the last year one is for by now")
    score_min: float | None = Field(default=None, description="`score-out-of-range`: the lowest score allowed")
    score_max: float | None = Field(default=None, description="`score-out-of-range`: the highest score allowed")


class Problem(Exception):
    """An error a use case raises on purpose; the handler turns it into problem+json."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers
        self.extensions = extensions


def field_problem(field: str, message: str, *, slug: str, error_type: str | None = None, **extensions: Any) -> Problem:
    """A 422 refusing one input field for a rule of the use case (`body.year: …`), named in `errors` as request
    validation names its fields; the error's type is the slug unless told."""
    return Problem(
        422,
        slug,
        f"{field}: {message}",
        errors=[{"field": field, "message": message, "type": error_type or slug}],
        **extensions,
    )


class NotFound(Problem):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(404, "not-found", f"{what} {ident} does not exist or is not visible to you")


class Conflict(Problem):
    def __init__(self, slug: str, detail: str, **extensions: Any) -> None:
        super().__init__(409, slug, detail, **extensions)


class TransitionConflict(Conflict):
    """A command the resource's state does not allow: names the state and what is allowed instead."""

    def __init__(self, slug: str, detail: str, *, current_state: str, allowed_actions: list[str]) -> None:
        super().__init__(slug, detail, current_state=current_state, allowed_actions=allowed_actions)


class Forbidden(Problem):
    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(403, "forbidden", detail, **extensions)


class Unauthorized(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def problem_body(
    status: int, slug: str, detail: str | None, *, instance: str, title: str | None = None, **extensions: Any
) -> dict[str, Any]:
    return {
        "type": TYPE_PREFIX + slug,
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
        **{key: value for key, value in extensions.items() if value is not None},
    }


def problem_response(
    request: Request,
    status: int,
    slug: str,
    detail: str | None,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = problem_body(status, slug, detail, instance=request.url.path, title=title, **extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _error_location(err: dict[str, Any]) -> tuple[int | str, ...]:
    """Where an error is: for a body shaped by a discriminator (a quote by its policy), a wrong or missing tag
    is the discriminator field's error, not the body's."""
    loc = tuple(err.get("loc", ()))
    if err.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        discriminator = str((err.get("ctx") or {}).get("discriminator", "")).strip("'")
        if discriminator:
            return (*loc, discriminator)
    return loc


def plain_number(value: Decimal) -> int | float:
    """A decimal figure a problem carries (a bound, a range) as JSON writes numbers: whole when it is."""
    return int(value) if value == value.to_integral_value() else float(value)


def _context(err: Mapping[str, Any]) -> dict[str, Any]:
    """The rule's figures pydantic gives with an error (`ctx`), those that are plain values: a bound, a length, the
    choices expected. An exception a validator raised is its message already."""
    plain: dict[str, str | int | float | bool] = {}
    for key, value in (err.get("ctx") or {}).items():
        if isinstance(value, Decimal):
            plain[key] = plain_number(value)
        elif isinstance(value, str | int | float | bool) and key != "error":
            plain[key] = value
    return {"context": plain} if plain else {}


def field_error(field: str, err: Mapping[str, Any]) -> dict[str, Any]:
    """One refused input in `errors`, from a pydantic error (`msg`, `type`, `ctx`) found at `field`."""
    return {"field": field, "message": err.get("msg", ""), "type": err.get("type", "")} | _context(err)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        request, exc.status, exc.slug, exc.detail, title=exc.title, headers=exc.headers, **exc.extensions
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [field_error(_field_path(_error_location(err)), err) for err in exc.errors()]
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return problem_response(request, 422, "validation-error", f"invalid input: {fields}", errors=errors)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the API answers on this path: Starlette names only those of the first route it matched."""
    patterns: list[tuple[re.Pattern[str], set[str]]] | None = getattr(request.app.state, "allowed_methods", None)
    if patterns is None:
        patterns = [
            (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), {m.upper() for m in item})
            for path, item in request.app.openapi().get("paths", {}).items()
        ]
        request.app.state.allowed_methods = patterns
    methods: set[str] = set()
    for pattern, allowed in patterns:
        if pattern.match(request.url.path):
            methods |= allowed
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = _SLUGS.get(exc.status_code, f"http-{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request)) or headers.get("Allow", "")
    return problem_response(request, exc.status_code, slug, detail, headers=headers)


RETRY_AFTER_S = 5


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what caused it, each once (a cycle of causes ends the walk)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def database_outage(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database cannot be reached, rather than that a query is wrong."""
    for current in _chain(exc):
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.OperationalError | sa_exc.TimeoutError):
            return True
        if driver_says_connection_lost(current):
            return True
        if isinstance(current, OSError) and _raised_by_the_driver(current):
            return True
    return False


def rolled_back_by_the_database(exc: BaseException) -> bool:
    """Whether PostgreSQL rolled the transaction back because it met another one (a deadlock, or a serialization
    failure): nothing was written, and the same request again will most likely pass."""
    return any(isinstance(current, asyncpg.TransactionRollbackError) for current in _chain(exc))


def _raised_by_the_driver(exc: BaseException) -> bool:
    # A refused or reset socket is an outage when asyncpg or SQLAlchemy met it, not when any other code did.
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith(("asyncpg", "sqlalchemy")):
            return True
        tb = tb.tb_next
    return False


async def _on_driver_error(request: Request, exc: Exception) -> JSONResponse:
    if rolled_back_by_the_database(exc):
        log.warning("transaction rolled back on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return problem_response(
            request,
            503,
            "transaction-conflict",
            "another request changed the same records at the same moment; nothing was written: retry",
            headers={"Retry-After": "1"},
        )
    if not database_outage(exc):
        raise exc
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return problem_response(
        request,
        503,
        "database-unavailable",
        "the database cannot be reached just now; retry later",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if database_outage(exc) or rolled_back_by_the_database(exc):
        return await _on_driver_error(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    # This answer is sent outside every middleware: it carries its own headers, and closes the connection,
    # whose state after an unexpected error nobody can vouch for.
    return problem_response(
        request,
        500,
        "internal-error",
        "an unexpected error occurred; it has been logged",
        headers={"Connection": "close", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )


DRIVER_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    for driver_error in DRIVER_ERRORS:
        app.add_exception_handler(driver_error, _on_driver_error)
    app.add_exception_handler(Exception, _on_unexpected)


def _problem(status: int, description: str | None = None) -> dict[str, Any]:
    return {"model": ProblemDetails, "content": {PROBLEM_JSON: {}}, "description": description or _TITLES[status]}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem(401),
    403: _problem(403),
    422: _problem(422, "Validation error: the `errors` name each field and rule"),
    503: _problem(503, "The database cannot be reached; `Retry-After` says when to try again"),
}
"""What any route may answer."""


def problem(status: int, description: str | None = None) -> dict[str, Any]:
    """A `responses=` entry for a problem+json answer."""
    return _problem(status, description)
