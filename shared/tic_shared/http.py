"""HTTP conventions every command endpoint keeps: `Idempotency-Key` replays, `ETag` / `If-Match` preconditions."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tic_shared.auth import Authenticated, Principal
from tic_shared.problems import Problem
from tic_shared.session import SessionDep

_KEY_MAX = 200

Outcome = TypeVar("Outcome")


class Idempotency:
    """A POST's first response, kept under its `Idempotency-Key` in the same transaction as its effect.

    A retry with the same key and the same request gets that response again (`Idempotent-Replayed: true`)
    and changes nothing; the same key with a different request is refused. Two concurrent first tries
    serialize on the key's row: the second waits, then replays what the first committed.
    """

    def __init__(self, session: AsyncSession, request: Request, key: str | None, owner: str) -> None:
        self.session = session
        self.key = key
        self.owner = owner
        self.table = request.app.state.messaging.idempotency_keys
        self.method = request.method
        self.path = request.url.path
        self._request = request
        self._fingerprint: str | None = None

    async def replay(self) -> JSONResponse | None:
        """The stored response of an earlier try with this key, or None (and the key claimed) on the first."""
        if self.key is None:
            return None
        body = await self._request.body()
        self._fingerprint = hashlib.sha256(f"{self.method} {self.path}\n".encode() + body).hexdigest()
        t = self.table.c
        claimed = await self.session.execute(
            insert(self.table)
            .values(owner=self.owner, key=self.key, method=self.method, path=self.path, fingerprint=self._fingerprint)
            .on_conflict_do_nothing()
            .returning(t.key)
        )
        if claimed.first() is not None:
            return None
        row = (await self.session.execute(select(self.table).where(t.owner == self.owner, t.key == self.key))).one()
        if row.fingerprint != self._fingerprint:
            raise Problem(
                422,
                "idempotency-key-reused",
                "header.Idempotency-Key was already used for a different request",
            )
        if row.status_code is None:
            raise Problem(409, "idempotency-key-in-use", "a request with this Idempotency-Key is still in progress")
        return JSONResponse(row.response, status_code=row.status_code, headers={"Idempotent-Replayed": "true"})

    async def save(self, result: Any, *, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
        """Keep the response for retries and return it, so the route can `return await idem.save(...)`."""
        # A model knows how to dump itself; jsonable_encoder walks it field by field, which is slow for a big one.
        body = result.model_dump(mode="json") if isinstance(result, BaseModel) else jsonable_encoder(result)
        if self.key is None:
            return JSONResponse(body, status_code=status_code, headers=headers)
        if self._fingerprint is None:
            raise RuntimeError("call replay() before save()")
        t = self.table.c
        await self.session.execute(
            self.table.update()
            .where(t.owner == self.owner, t.key == self.key)
            .values(status_code=status_code, response=body)
        )
        return JSONResponse(body, status_code=status_code, headers=headers)

    async def run(
        self,
        act: Callable[[], Awaitable[Outcome]],
        present: Callable[[Outcome], Any],
        *,
        etag: Callable[[Outcome], str] | None = None,
        status_code: int = 200,
    ) -> JSONResponse:
        """The one shape of every command route: a retry replays the first answer; otherwise the use case
        runs, its outcome is presented (a model, or an awaitable of one), tagged with its ETag and kept for
        retries — all inside the request's transaction, so the answer is kept exactly when the effect is."""
        if (replayed := await self.replay()) is not None:
            return replayed
        outcome = await act()
        body = present(outcome)
        if inspect.isawaitable(body):
            body = await body
        headers = {"ETag": etag(outcome)} if etag is not None else None
        return await self.save(body, status_code=status_code, headers=headers)


async def _idempotency(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Authenticated],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=_KEY_MAX,
            description="Any unique string; a retry with the same key returns the first response.",
        ),
    ] = None,
) -> Idempotency:
    # A key is its caller's own: asking for the caller here (resolved once per request) makes sure of it.
    return Idempotency(session, request, idempotency_key, principal.subject)


IdempotencyDep = Annotated[Idempotency, Depends(_idempotency)]


def etag_for(*parts: object) -> str:
    """A weak validator from what identifies a version of a resource (its id and version number)."""
    digest = hashlib.sha1(":".join(str(part) for part in parts).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def check_if_match(if_match: str | None, current: str) -> None:
    """Refuse (412) a write whose `If-Match` names another version; no header means no precondition."""
    if if_match is None:
        return
    candidates = {value.strip() for value in if_match.split(",")}
    if "*" in candidates or current in candidates or current.removeprefix("W/") in candidates:
        return
    raise Problem(
        412,
        "precondition-failed",
        f"header.If-Match does not match the current version {current}; read it again and retry",
        current_etag=current,
    )


# Use as `if_match: IfMatch = None` (a default cannot live inside Annotated).
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="The ETag you last read; 412 if it changed since.")
]


def set_etag(response: Response, etag: str) -> None:
    response.headers["ETag"] = etag
