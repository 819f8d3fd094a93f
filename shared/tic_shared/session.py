"""The request's database session: one transaction per request that writes, plain autocommit reads for GET and
HEAD (kept apart so the ops routes can use it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from tic_shared.db import Database


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    db = request.app.state.db
    # GET and HEAD change nothing (HTTP's safe methods): they read without a transaction around them.
    unit = db.reading() if request.method in ("GET", "HEAD") else db.transaction()
    async with unit as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
"""The request's unit of work: committed when the route returns, rolled back when it raises."""


async def _database(request: Request) -> Database:
    return request.app.state.db


DatabaseDep = Annotated[Database, Depends(_database)]
"""The service's database itself, for a read that runs on the driver (`Database.fetch_row`) with no session."""
