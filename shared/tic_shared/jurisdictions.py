"""Jurisdictions as data: which jurisdiction a district belongs to, and what that jurisdiction's texts say.

One deployment serves the jurisdictions of the policy texts (Ningbo, Weihai, Linhai). A center's district decides
its jurisdiction, and with it the names and registry code it is given, its notice and construction period, whether
and how it is evaluated and delisted, the subsidy policies it falls under and the plans it counts towards.

Why this lives in the shared library: every service must give the same answer to "which jurisdiction is this
district?" — the registry to name and code a center, evaluation to choose its rules and count it towards a
plan, funding to choose its policies — and the district travels in every registry event. That mapping is part of
the contract, like `vocabulary`, so it is kept once, as data (`data/jurisdictions/{code}.toml`, one file per
jurisdiction), and each service reads it through this loader instead of keeping a copy that could drift. What a
service *does* with a jurisdiction stays in the service: a file names its subsidy policies and plans by code
(their amounts and targets live in funding's policies and evaluation's plans), so no service reads another's
files and the shared library holds no business rule beyond the mapping and the points below.

Every point carries the clause it comes from; where a jurisdiction's text says nothing, the point is marked
`default = true` and its `note` says what was chosen and why. The loader refuses a point that is neither cited
from one of the jurisdiction's own texts nor marked default, and a district claimed by two jurisdictions.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from tic_shared.vocabulary import Tier

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]*$")]
DataCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]  # a policy, plan or indicator system
DivisionCode = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{5}$")]  # GB/T 2260
Text = Annotated[str, StringConstraints(min_length=1)]
_DOCUMENT = re.compile(r"\b(\d{3})\b")


class JurisdictionDataError(ValueError):
    """A jurisdiction file breaks its own rules, or two files disagree (a district claimed twice)."""


class DistrictKind(StrEnum):
    DISTRICT = "district"  # 区
    COUNTY = "county"  # 县
    COUNTY_CITY = "county_city"  # 县级市
    FUNCTIONAL_ZONE = "functional_zone"  # 开发区, 新区, 保税区 and the like: a management committee, no division code


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Point(_Frozen):
    """One thing a jurisdiction's texts decide — or leave open, then `default` with a `note` saying the choice."""

    clause: Text
    default: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _default_has_a_note(self) -> Point:
        if self.default and not (self.note or "").strip():
            raise ValueError(f"a default needs a note saying what was chosen and why ({self.clause})")
        return self


class District(Point):
    """A district, county, county-level city or functional zone: the unit a center's address names."""

    code: Code
    zh: Text
    en: Text
    kind: DistrictKind
    division_code: DivisionCode | None = None

    @model_validator(mode="after")
    def _zones_have_no_division_code(self) -> District:
        if (self.kind is DistrictKind.FUNCTIONAL_ZONE) == (self.division_code is not None):
            raise ValueError(f"district {self.code}: a division code, and only for an administrative division")
        return self


class OfficialNames(Point):
    """The names a center of `tiers` is given on approval; `{domain_zh}`/`{domain_en}` is the technology domain."""

    zh: Text
    en: Text
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _placeholders(self) -> OfficialNames:
        if "{domain_zh}" not in self.zh or "{domain_en}" not in self.en:
            raise ValueError("official names need {domain_zh} and {domain_en}")
        return self

    def of(self, *, domain_zh: str, domain_en: str) -> tuple[str, str]:
        """The Chinese and English official names of a center of this domain."""
        return self.zh.format(domain_zh=domain_zh), self.en.format(domain_en=domain_en)


class RegistryCode(Point):
    """The registry code format; `{year}` is the approval year, `{seq}` the center's number in that year."""

    format: Text

    @model_validator(mode="after")
    def _renders(self) -> RegistryCode:
        try:
            rendered = self.format.format(year=2026, seq=7)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"registry code format {self.format!r} does not render: {error}") from None
        if "2026" not in rendered or "7" not in rendered.replace("2026", ""):
            raise ValueError(f"registry code format {self.format!r} must show the year and the sequence")
        return self

    def of(self, *, year: int, seq: int) -> str:
        return self.format.format(year=year, seq=seq)

    @property
    def prefix(self) -> str:
        """What the codes start with, before the year: it tells the jurisdiction from the code."""
        return self.format.split("{", 1)[0]


class PublicNotice(Point):
    """公示: how long a notice runs before approval."""

    days: Annotated[int, Field(ge=1, le=90, strict=True)]
    day_kind: Literal["calendar"]


class ConstructionPeriod(Point):
    """建设期: how long a center is built, normally and at most."""

    normal_years: Annotated[int, Field(ge=1, le=10, strict=True)]
    max_years: Annotated[int, Field(ge=1, le=10, strict=True)]

    @model_validator(mode="after")
    def _normal_within_max(self) -> ConstructionPeriod:
        if self.normal_years > self.max_years:
            raise ValueError("the normal construction period exceeds the maximum")
        return self


class IndicatorSystemRef(Point):
    code: DataCode


class AnnualEvaluation(Point):
    """Which tiers the jurisdiction's annual performance evaluation covers, and with which indicator system."""

    tiers: tuple[Tier, ...] = ()
    indicator_system: IndicatorSystemRef | None = None

    @model_validator(mode="after")
    def _system_when_evaluated(self) -> AnnualEvaluation:
        if bool(self.tiers) != (self.indicator_system is not None):
            raise ValueError("an evaluation that covers tiers names its indicator system, and only then")
        return self


class Delisting(Point):
    """摘牌: after how many consecutive unqualified annual results a center of `tiers` is delisted (0: never)."""

    consecutive_unqualified: Annotated[int, Field(ge=0, le=10, strict=True)]
    tiers: tuple[Tier, ...] = ()

    @model_validator(mode="after")
    def _tiers_when_delisting(self) -> Delisting:
        if (self.consecutive_unqualified > 0) != bool(self.tiers):
            raise ValueError("a delisting rule names the tiers it applies to, and only a rule does")
        return self


def _decimal_string(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("write a ratio as a decimal string, never a float")
    return value


class Award(_Frozen):
    """An award the text promises that the platform does not pay yet: a fixed (or maximum) sum, or a match ratio."""

    code: Code
    zh: Text
    en: Text
    amount_fen: Annotated[int, Field(gt=0, strict=True)] | None = None
    up_to: bool = False  # 最高 / 择优: the amount is a ceiling
    match_ratio: Annotated[Decimal, BeforeValidator(_decimal_string), Field(gt=0, allow_inf_nan=False)] | None = None
    clause: Text

    @model_validator(mode="after")
    def _one_way_to_pay(self) -> Award:
        if (self.amount_fen is None) == (self.match_ratio is None):
            raise ValueError(f"award {self.code}: an amount or a match ratio, not both")
        return self


class Subsidy(Point):
    """The subsidy policies (funding's policy codes) a center of the jurisdiction falls under."""

    policies: tuple[DataCode, ...] = ()
    other_awards: tuple[Award, ...] = ()


class Plans(Point):
    """The plans (evaluation's plan codes) the jurisdiction's centers and departments count towards."""

    codes: tuple[DataCode, ...] = ()


class Jurisdiction(_Frozen):
    """One jurisdiction: its districts and what its texts say, point by point."""

    code: Code
    name_zh: Text
    name_en: Text
    level: Literal["prefecture_city", "county_city"]
    parent_zh: str | None = None
    division_code: DivisionCode
    documents: tuple[Annotated[str, StringConstraints(pattern=r"^\d{3}$")], ...] = Field(min_length=1)
    clause: Text
    districts: tuple[District, ...] = Field(min_length=1)
    official_names: OfficialNames
    registry_code: RegistryCode
    public_notice: PublicNotice
    construction_period: ConstructionPeriod
    annual_evaluation: AnnualEvaluation
    delisting: Delisting
    subsidy: Subsidy
    plans: Plans

    @model_validator(mode="after")
    def _coherent(self) -> Jurisdiction:
        codes = [district.code for district in self.districts]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: a district is listed twice")
        for name, point in self.points():
            cited = set(_DOCUMENT.findall(point.clause)) & set(self.documents)
            if not point.default and not cited:
                raise ValueError(
                    f"{self.code}: {name} cites none of the jurisdiction's texts {list(self.documents)} "
                    "and is not marked default"
                )
        if not set(self.delisting.tiers) <= set(self.annual_evaluation.tiers):
            raise ValueError(f"{self.code}: only tiers the annual evaluation covers can be delisted after it")
        return self

    def points(self) -> Iterable[tuple[str, Point]]:
        """Every point the texts decide or leave to a default, by name (districts as `districts.{code}`)."""
        yield from ((f"districts.{district.code}", district) for district in self.districts)
        for name in (
            "official_names",
            "registry_code",
            "public_notice",
            "construction_period",
            "annual_evaluation",
            "delisting",
            "subsidy",
            "plans",
        ):
            yield name, getattr(self, name)
        if self.annual_evaluation.indicator_system is not None:
            yield "annual_evaluation.indicator_system", self.annual_evaluation.indicator_system

    def district(self, code: str) -> District:
        """The district `code`; KeyError if the jurisdiction has none."""
        for district in self.districts:
            if district.code == code:
                return district
        raise KeyError(code)

    def evaluates(self, tier: Tier | str) -> bool:
        """Whether the annual evaluation covers centers of `tier`."""
        return Tier(tier) in self.annual_evaluation.tiers

    def delists_after(self, tier: Tier | str) -> int | None:
        """How many consecutive unqualified annual results delist a center of `tier`; None if none ever do."""
        return self.delisting.consecutive_unqualified if Tier(tier) in self.delisting.tiers else None


class Jurisdictions:
    """Every jurisdiction, and the district → jurisdiction map: a district belongs to exactly one."""

    def __init__(self, jurisdictions: Iterable[Jurisdiction]) -> None:
        by_code: dict[str, Jurisdiction] = {}
        by_district: dict[str, Jurisdiction] = {}
        prefixes: dict[str, str] = {}
        for jurisdiction in jurisdictions:
            if jurisdiction.code in by_code:
                raise JurisdictionDataError(f"jurisdiction {jurisdiction.code!r} is listed twice")
            by_code[jurisdiction.code] = jurisdiction
            for district in jurisdiction.districts:
                if district.code in by_district:
                    raise JurisdictionDataError(
                        f"district {district.code!r} is in both {by_district[district.code].code!r} "
                        f"and {jurisdiction.code!r}"
                    )
                by_district[district.code] = jurisdiction
            prefix = jurisdiction.registry_code.prefix
            if prefix in prefixes:
                raise JurisdictionDataError(
                    f"{prefixes[prefix]!r} and {jurisdiction.code!r} share the registry code prefix {prefix!r}"
                )
            prefixes[prefix] = jurisdiction.code
        if not by_code:
            raise JurisdictionDataError("no jurisdiction")
        self.by_code: Mapping[str, Jurisdiction] = MappingProxyType(by_code)
        self.by_district: Mapping[str, Jurisdiction] = MappingProxyType(by_district)

    def of_district(self, district: str) -> Jurisdiction | None:
        """The jurisdiction `district` belongs to; None for a district no jurisdiction lists."""
        return self.by_district.get(district)

    def __getitem__(self, code: str) -> Jurisdiction:
        return self.by_code[code]

    def __iter__(self) -> Iterator[Jurisdiction]:
        return iter(self.by_code.values())


def _parse(name: str, text: str) -> Jurisdiction:
    try:
        jurisdiction = Jurisdiction.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise JurisdictionDataError(f"jurisdiction file {name} is invalid: {error}") from None
    if f"{jurisdiction.code}.toml" != name:
        raise JurisdictionDataError(f"jurisdiction file {name} carries the code {jurisdiction.code!r}")
    return jurisdiction


def load_jurisdictions(folder: Path | Traversable | None = None) -> Jurisdictions:
    """Every `{code}.toml` in `folder` (by default the shipped data), checked file by file and together."""
    source = folder or resources.files("tic_shared").joinpath("data", "jurisdictions")
    files = sorted((entry for entry in source.iterdir() if entry.name.endswith(".toml")), key=lambda e: e.name)
    return Jurisdictions(_parse(entry.name, entry.read_text(encoding="utf-8")) for entry in files)


@cache
def jurisdictions() -> Jurisdictions:
    """The shipped jurisdictions, read once."""
    return load_jurisdictions()


def jurisdiction_of(district: str) -> Jurisdiction | None:
    """The shipped jurisdiction `district` belongs to; None for a district no jurisdiction lists."""
    return jurisdictions().of_district(district)
