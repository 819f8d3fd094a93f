"""The indicator systems: versioned data, the same for every reader."""

from evaluation.domain.datafiles import UnknownDataFile
from evaluation.domain.indicators import IndicatorSystem, list_indicator_systems, load_indicator_system
from tic_shared.problems import NotFound


def list_systems() -> list[IndicatorSystem]:
    return [load_indicator_system(code) for code in list_indicator_systems()]


def get_system(*, code: str) -> IndicatorSystem:
    try:
        return load_indicator_system(code)
    except UnknownDataFile as error:
        raise NotFound("indicator system", code) from error
