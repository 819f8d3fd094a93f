"""A center's official names, registry code, construction period and legal-entity deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from registry.domain.policy import Field, registry_policy


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


def official_names(field: Field | str, domain: Domain | None = None) -> OfficialNames:
    """宁波市{领域}技术创新中心 / Ningbo Municipal Innovation Center of {Domain} Technology (001 §3(3)).

    The domain defaults to the field's own name when the center names no narrower one.
    """
    policy = registry_policy()
    named = domain or Domain(policy.fields[Field(field)].zh, policy.fields[Field(field)].en)
    zh, en = named.zh.strip(), named.en.strip()
    if not zh or not en:
        raise NamingError("the domain needs both a Chinese and an English name")
    # The patterns already carry these words; a domain repeating them would double them.
    if zh.startswith("宁波") or zh.endswith(("技术创新中心", "技术")):
        raise NamingError(f"give the domain alone, without 宁波市/技术/技术创新中心: {zh!r}")
    if en.lower().endswith("technology") or en.lower().startswith("ningbo"):
        raise NamingError(f"give the domain alone, without Ningbo/Technology: {en!r}")
    return OfficialNames(
        zh=policy.name_zh_pattern.format(domain_zh=zh),
        en=policy.name_en_pattern.format(domain_en=en),
    )


def registry_code(*, year: int, seq: int) -> str:
    """The registry code of the `seq`-th center approved in `year`, e.g. NB-TIC-2026-007."""
    if seq < 1:
        raise NamingError(f"sequence numbers start at 1, got {seq}")
    return registry_policy().registry_code_format.format(year=year, seq=seq)


def add_years(start: date, years: int) -> date:
    """The same calendar day `years` later; 29 February falls back to 28 February."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def construction_end(start: date, years: int | None = None) -> date:
    """The day the construction period (建设期) ends: `years` after `start`, never more than the maximum."""
    policy = registry_policy()
    length = policy.construction_normal_years if years is None else years
    if length < 1:
        raise NamingError(f"a construction period lasts at least a year, got {length}")
    if length > policy.construction_max_years:
        raise NamingError(
            f"a construction period lasts at most {policy.construction_max_years} years "
            f"({policy.construction_clause}); got {length}"
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
