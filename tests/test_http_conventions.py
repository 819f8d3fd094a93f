"""Idempotency keys and If-Match preconditions, on a small service of the tests' own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import func, select

from tic_platform.testing import bearer, running
from tic_shared.auth import Principal, scoped
from tic_shared.http import IdempotencyDep, IfMatch, check_if_match, etag_for, set_etag
from tic_shared.service_app import ServiceSpec, create_service_app

router = APIRouter()
_effects: list[str] = []
_version = {"n": 1}


class Note(BaseModel):
    text: str


@router.post("/notes", status_code=201)
async def create_note(note: Note, idem: IdempotencyDep, _: Annotated[Principal, scoped("ops:read")]) -> Any:
    if (replayed := await idem.replay()) is not None:
        return replayed
    _effects.append(note.text)
    return await idem.save({"id": str(uuid.uuid4()), "text": note.text}, status_code=201)


@router.put("/note")
async def update_note(
    note: Note, response: Response, _: Annotated[Principal, scoped("ops:read")], if_match: IfMatch = None
) -> dict[str, str]:
    check_if_match(if_match, etag_for("note", _version["n"]))
    _version["n"] += 1
    set_etag(response, etag_for("note", _version["n"]))
    return {"text": note.text}


async def test_a_retry_with_the_same_key_returns_the_first_response_and_changes_nothing(
    make_settings: Callable[..., Any], token: Callable[..., str]
) -> None:
    from notification.store.tables import messaging

    spec = ServiceSpec(name="notification", title="t", description="t", messaging=messaging, routers=[router])
    app = create_service_app(spec, make_settings("notification"))
    async with running(app) as client:
        headers = {**bearer(token(scopes=["ops:read"])), "Idempotency-Key": f"k-{uuid.uuid4()}"}
        first = await client.post("/api/v1/notes", json={"text": "a"}, headers=headers)
        again = await client.post("/api/v1/notes", json={"text": "a"}, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert _effects.count("a") == 1

        reused = await client.post("/api/v1/notes", json={"text": "b"}, headers=headers)
        assert reused.status_code == 422
        assert reused.json()["type"] == "urn:tic:problem:idempotency-key-reused"
        assert "b" not in _effects

        # The same key from someone else is their own key.
        other = {**headers, **bearer(token(subject="someone-else", scopes=["ops:read"]))}
        assert (await client.post("/api/v1/notes", json={"text": "a"}, headers=other)).json() != first.json()

        t = messaging.idempotency_keys.c
        async with app.state.db.transaction() as session:
            kept = await session.execute(select(func.count()).where(t.key == headers["Idempotency-Key"]))
            assert kept.scalar_one() == 2


async def test_if_match_with_a_stale_etag_is_refused_with_412(
    make_settings: Callable[..., Any], token: Callable[..., str]
) -> None:
    from notification.store.tables import messaging

    spec = ServiceSpec(name="notification", title="t", description="t", messaging=messaging, routers=[router])
    app = create_service_app(spec, make_settings("notification"))
    async with running(app) as client:
        auth = bearer(token(scopes=["ops:read"]))
        current = etag_for("note", _version["n"])
        ok = await client.put("/api/v1/note", json={"text": "x"}, headers={**auth, "If-Match": current})
        assert ok.status_code == 200
        stale = await client.put("/api/v1/note", json={"text": "y"}, headers={**auth, "If-Match": current})
        assert stale.status_code == 412
        assert stale.json()["current_etag"] == ok.headers["etag"]
        unconditional = await client.put("/api/v1/note", json={"text": "z"}, headers=auth)
        assert unconditional.status_code == 200


def test_a_route_that_names_no_caller_keeps_the_app_from_being_built(make_settings: Callable[..., Any]) -> None:
    """Every API route authenticates its caller itself; one that forgets fails when the app is built, not in
    production with its door open."""
    from notification.store.tables import messaging

    careless = APIRouter()

    @careless.get("/open")
    async def open_door() -> dict[str, str]:
        return {}

    spec = ServiceSpec(name="notification", title="t", description="t", messaging=messaging, routers=[careless])
    with pytest.raises(TypeError, match="GET /open does not name its caller"):
        create_service_app(spec, make_settings("notification"))
