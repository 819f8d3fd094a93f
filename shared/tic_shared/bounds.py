"""The bounds every number the API accepts stays within, so that none reaches PostgreSQL past `bigint`.

A figure past 2^63−1 is refused by asyncpg deep in a query (a 500); one just under it overflows the first sum.
So money and counts are bounded in the contract, well below int64: ten thousand amounts of `MAX_FEN` still sum
below 2^63, and every sum the services compute is of far fewer rows than that.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

INT64_MAX = 2**63 - 1
MAX_FEN = 10**15
"""1,000,000,000,000,000 fen = 10 trillion yuan: more than any city's whole budget, far below int64."""
MAX_COUNT = 10**9
"""People, patents, enterprises, projects: a billion of anything is not a real report."""

Fen = Annotated[int, Field(strict=True, ge=0, le=MAX_FEN, examples=[150_000_000])]
PositiveFen = Annotated[int, Field(strict=True, gt=0, le=MAX_FEN, examples=[12_000_000])]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT, examples=[12])]
RowId = Annotated[int, Path(ge=1, le=INT64_MAX, description="A row id (bigint)")]
