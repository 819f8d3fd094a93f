"""The units a plan's figures count in, how each is written after a figure, and a figure written as a reader
expects it (money in 亿元/万元 and CNY, counts grouped)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from evaluation.domain.text import Bilingual

_YUAN_PER_YI = Decimal(100_000_000)  # 亿 = 10^8: how the texts write large sums; formatting only
_YUAN_PER_WAN = Decimal(10_000)  # 万 = 10^4
_FEN_PER_YUAN = Decimal(100)


class Unit(StrEnum):
    """What an indicator counts in."""

    PERCENT = "percent"
    FEN = "fen"  # money: integer fen, 1 CNY = 100 fen
    ORGANIZATIONS = "organizations"  # 家: enterprises, institutes, centers, agencies, parks
    UNITS = "units"  # 个: teams, parks, bases
    PROJECTS = "projects"  # 个 (项目)
    ITEMS = "items"  # 项: results, technologies
    EVENTS = "events"  # 场
    PEOPLE = "people"  # 人, 名
    PERSON_TIMES = "person_times"  # 人次
    WAN_PERSON_YEARS = "wan_person_years"  # 万人年
    PER_10K_PEOPLE = "per_10k_people"  # 件/万人
    PERSON_YEARS_PER_10K_EMPLOYED = "person_years_per_10k_employed"  # 人年 per 10,000 employed
    SQUARE_METRES = "square_metres"
    INDEX = "index"


@dataclass(frozen=True)
class UnitLabel:
    """How a unit is written after a figure, and how many decimals its figures keep."""

    zh: str
    en: str
    decimals: int


UNIT_LABELS: dict[Unit, UnitLabel] = {
    Unit.PERCENT: UnitLabel("%", "%", 2),
    Unit.FEN: UnitLabel("分", "fen", 0),
    Unit.ORGANIZATIONS: UnitLabel("家", "", 0),
    Unit.UNITS: UnitLabel("个", "", 0),
    Unit.PROJECTS: UnitLabel("个", "projects", 0),
    Unit.ITEMS: UnitLabel("项", "items", 0),
    Unit.EVENTS: UnitLabel("场", "events", 0),
    Unit.PEOPLE: UnitLabel("人", "people", 0),
    Unit.PERSON_TIMES: UnitLabel("人次", "person-times", 0),
    Unit.WAN_PERSON_YEARS: UnitLabel("万人年", "× 10,000 person-years", 2),
    Unit.PER_10K_PEOPLE: UnitLabel("件/万人", "per 10,000 people", 2),
    Unit.PERSON_YEARS_PER_10K_EMPLOYED: UnitLabel("人年/万名就业人员", "person-years per 10,000 employed", 2),
    Unit.SQUARE_METRES: UnitLabel("平方米", "m²", 0),
    Unit.INDEX: UnitLabel("", "", 2),
}


def exact(value: Any) -> Decimal:
    """A stored figure as it was written: 74.100000 is 74.1 and 100.000000 is 100 (never 1E+2)."""
    number = Decimal(value).normalize()
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def _plain(value: Decimal, *, grouped: bool = False) -> str:
    text = format(value.normalize() if value == value.to_integral_value() else value, ",f" if grouped else "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_figure(value: Decimal, unit: Unit) -> Bilingual:
    """A figure with its unit as a reader expects it: money in 亿元/万元 (zh) and CNY (en), counts grouped."""
    if unit is Unit.FEN:
        yuan = value / _FEN_PER_YUAN
        if abs(yuan) >= _YUAN_PER_YI:
            zh = f"{_plain(yuan / _YUAN_PER_YI)}亿元"
        elif abs(yuan) >= _YUAN_PER_WAN:
            zh = f"{_plain(yuan / _YUAN_PER_WAN)}万元"
        else:
            zh = f"{_plain(yuan)}元"
        return Bilingual(zh=zh, en=f"CNY {_plain(yuan, grouped=True)}")
    label = UNIT_LABELS[unit]
    en_unit = "%" if unit is Unit.PERCENT else f" {label.en}" if label.en else ""
    return Bilingual(zh=f"{_plain(value)}{label.zh}", en=f"{_plain(value, grouped=True)}{en_unit}")
