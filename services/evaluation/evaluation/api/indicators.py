"""Read-only indicator systems (versioned data)."""

from typing import Annotated

from fastapi import APIRouter, Path

from evaluation.api.schemas import IndicatorSystemSummary
from evaluation.domain.datafiles import UnknownDataFile
from evaluation.domain.indicators import IndicatorSystem, list_indicator_systems, load_indicator_system
from tic_shared.auth import Principal, scoped
from tic_shared.problems import NotFound

router = APIRouter(tags=["indicator systems"])


def _summary(system: IndicatorSystem) -> IndicatorSystemSummary:
    return IndicatorSystemSummary(
        code=system.code,
        version=system.version,
        name_zh=system.name_zh,
        name_en=system.name_en,
        effective_from=system.effective_from,
        total_points=system.total_points,
        first_level_count=len(system.first_level),
        indicator_count=len(system.indicators),
    )


@router.get("/indicator-systems", summary="Every indicator system")
async def list_systems(_: Annotated[Principal, scoped("evaluation:read")]) -> list[IndicatorSystemSummary]:
    return [_summary(load_indicator_system(code)) for code in list_indicator_systems()]


@router.get("/indicator-systems/{code}", summary="One indicator system with its indicators, weights and targets")
async def get_system(
    code: Annotated[str, Path(max_length=100)], _: Annotated[Principal, scoped("evaluation:read")]
) -> IndicatorSystem:
    try:
        return load_indicator_system(code)
    except UnknownDataFile as error:
        raise NotFound("indicator system", code) from error
