"""The raw ceiling of a read: a bare FastAPI app selecting one center by primary key with asyncpg, nothing else.

Served by uvicorn exactly as the registry is (`bench/ceiling_reads.py` starts both): no auth, no scoping, no
ETag, no middleware. `TIC_BENCH_DSN` names the database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException


def create_app() -> FastAPI:
    pool: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool["pg"] = await asyncpg.create_pool(os.environ["TIC_BENCH_DSN"], min_size=5, max_size=5)
        yield
        await pool["pg"].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/centers/{center_id}")
    async def one(center_id: uuid.UUID) -> dict[str, Any]:
        row = await pool["pg"].fetchrow("SELECT * FROM registry.centers WHERE id = $1", center_id)
        if row is None:
            raise HTTPException(404)
        return {key: (str(value) if value is not None else None) for key, value in row.items()}

    return app
