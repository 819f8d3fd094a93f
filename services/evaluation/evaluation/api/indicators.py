"""Read-only indicator systems (versioned data)."""

from typing import Annotated

from fastapi import APIRouter, Path

from evaluation.api.schemas import IndicatorSystemSummary
from evaluation.domain.indicators import IndicatorSystem
from evaluation.service import indicators
from tic_shared.auth import Principal, scoped

router = APIRouter(tags=["indicator systems"])


@router.get("/indicator-systems", summary="Every indicator system")
async def list_systems(_: Annotated[Principal, scoped("evaluation:read")]) -> list[IndicatorSystemSummary]:
    return [IndicatorSystemSummary.of(system) for system in indicators.list_systems()]


@router.get("/indicator-systems/{code}", summary="One indicator system with its indicators, weights and targets")
async def get_system(
    code: Annotated[str, Path(max_length=100)], _: Annotated[Principal, scoped("evaluation:read")]
) -> IndicatorSystem:
    return indicators.get_system(code=code)
