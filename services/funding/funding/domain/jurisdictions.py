"""Which jurisdiction (and so which policies) a center's district falls under: data, not code."""

import tomllib
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from funding.domain.policy import Policy

JURISDICTIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "jurisdictions.toml"

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]


class Jurisdiction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    zh: Annotated[str, StringConstraints(min_length=1)]
    en: Annotated[str, StringConstraints(min_length=1)]
    districts: list[Code] = Field(min_length=1)


class _JurisdictionFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdiction: list[Jurisdiction] = Field(min_length=1)


class Jurisdictions:
    """The jurisdictions and the district → jurisdiction map; a district belongs to at most one."""

    def __init__(self, jurisdictions: list[Jurisdiction]) -> None:
        by_code: dict[str, Jurisdiction] = {}
        by_district: dict[str, str] = {}
        for jurisdiction in jurisdictions:
            if jurisdiction.code in by_code:
                raise ValueError(f"jurisdiction {jurisdiction.code!r} is listed twice")
            by_code[jurisdiction.code] = jurisdiction
            for district in jurisdiction.districts:
                if district in by_district:
                    raise ValueError(
                        f"district {district!r} is in both {by_district[district]!r} and {jurisdiction.code!r}"
                    )
                by_district[district] = jurisdiction.code
        self.by_code: Mapping[str, Jurisdiction] = MappingProxyType(by_code)
        self._by_district = by_district

    def of_district(self, district: str) -> str | None:
        return self._by_district.get(district)


def load_jurisdictions(path: Path | None = None) -> Jurisdictions:
    source = path or JURISDICTIONS_FILE
    try:
        parsed = _JurisdictionFile.model_validate(tomllib.loads(source.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise ValueError(f"jurisdictions {source.name} are invalid: {error}") from None
    return Jurisdictions(list(parsed.jurisdiction))


@cache
def packaged_jurisdictions() -> Jurisdictions:
    return load_jurisdictions()


def policies_of(policies: Mapping[str, Policy], jurisdiction: str | None, on: date) -> list[Policy]:
    """The policies of a jurisdiction in force on a day, by code."""
    if jurisdiction is None:
        return []
    return sorted(
        (p for p in policies.values() if p.jurisdiction == jurisdiction and p.is_effective_on(on)),
        key=lambda p: p.code,
    )
