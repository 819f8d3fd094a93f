"""A center's official names, registry code, construction period and legal-entity deadline.

The names, the code format and the construction period are the jurisdiction's (its data file says them, each
with its clause or a marked default): a center in Weihai is 威海市…技术创新中心 and WH-TIC-…, one in Ningbo
宁波市…技术创新中心 and NB-TIC-…. The caller passes the jurisdiction of the center's district.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from registry.domain.policy import Field, registry_policy
from tic_shared.jurisdictions import Jurisdiction


class NamingError(ValueError):
    """A name, code or period the rules do not allow."""


@dataclass(frozen=True)
class Domain:
    """The technology domain a center is named after (the ××× of 宁波市×××技术创新中心), in both languages."""

    zh: str
    en: str


@dataclass(frozen=True)
class OfficialNames:
    zh: str
    en: str


def official_names(jurisdiction: Jurisdiction, field: Field | str, domain: Domain | None = None) -> OfficialNames:
    """The jurisdiction's pattern with the domain, e.g. 宁波市{领域}技术创新中心 (Ningbo, 001 §3(3)).

    The domain defaults to the field's own name when the center names no narrower one.
    """
    policy = registry_policy()
    named = domain or Domain(policy.fields[Field(field)].zh, policy.fields[Field(field)].en)
    zh, en = named.zh.strip(), named.en.strip()
    if not zh or not en:
        raise NamingError("the domain needs both a Chinese and an English name")
    # The patterns already carry these words; a domain repeating them would double them.
    city_zh, city_en = jurisdiction.name_zh.removesuffix("市"), jurisdiction.name_en
    if zh.startswith(city_zh) or zh.endswith(("技术创新中心", "技术")):
        raise NamingError(f"give the domain alone, without {jurisdiction.name_zh}/技术/技术创新中心: {zh!r}")
    if en.lower().endswith("technology") or en.lower().startswith(city_en.lower()):
        raise NamingError(f"give the domain alone, without {city_en}/Technology: {en!r}")
    name_zh, name_en = jurisdiction.official_names.of(domain_zh=zh, domain_en=en)
    return OfficialNames(zh=name_zh, en=name_en)


def registry_code(jurisdiction: Jurisdiction, *, year: int, seq: int) -> str:
    """The code of the `seq`-th center the jurisdiction approved in `year`, e.g. NB-TIC-2026-007."""
    if seq < 1:
        raise NamingError(f"sequence numbers start at 1, got {seq}")
    return jurisdiction.registry_code.of(year=year, seq=seq)


def add_years(start: date, years: int) -> date:
    """The same calendar day `years` later; 29 February falls back to 28 February."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def construction_end(jurisdiction: Jurisdiction, start: date, years: int | None = None) -> date:
    """The day the construction period (建设期) ends: `years` after `start`, never more than the maximum."""
    period = jurisdiction.construction_period
    length = period.normal_years if years is None else years
    if length < 1:
        raise NamingError(f"a construction period lasts at least a year, got {length}")
    if length > period.max_years:
        raise NamingError(
            f"a construction period in {jurisdiction.name_en} lasts at most {period.max_years} years "
            f"({period.clause}); got {length}"
        )
    return add_years(start, length)


def legal_entity_deadline(construction_end_on: date) -> date:
    """A center not yet an independent legal person must become one by the end of construction (001 §4)."""
    return construction_end_on


class DeadlineStatus(StrEnum):
    OK = "ok"
    NEAR = "near"
    PASSED = "passed"


def deadline_within(deadline: date, today: date, days: int) -> bool:
    """Whether `deadline` is today or in the next `days` days."""
    return 0 <= (deadline - today).days <= days


def deadline_status(deadline: date, today: date, days: int | None = None) -> DeadlineStatus:
    """`passed` once the deadline is behind us, `near` within `days` (default: the data file's window)."""
    window = registry_policy().legal_entity_warning_days if days is None else days
    if today > deadline:
        return DeadlineStatus.PASSED
    if deadline_within(deadline, today, window):
        return DeadlineStatus.NEAR
    return DeadlineStatus.OK


def legal_entity_status(*, independent_legal_person: bool, construction_end_on: date, today: date) -> DeadlineStatus:
    """The legal-entity flag: `ok` for an independent legal person, else how close its deadline is."""
    if independent_legal_person:
        return DeadlineStatus.OK
    return deadline_status(legal_entity_deadline(construction_end_on), today)
