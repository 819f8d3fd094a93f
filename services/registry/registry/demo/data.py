"""The demo's data files (`data/demo/*.toml`), read once and checked: a malformed file is named with its key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from registry.domain.lifecycle import State
from registry.domain.policy import Field, LeadUnitType, Origin, Tier

Pair = tuple[str, str]


class DemoDataError(ValueError):
    """A demo data file that does not say what the generator needs."""


@dataclass(frozen=True)
class Spec:
    """One demo center as the data file gives it."""

    domain_zh: str
    domain_en: str
    field: Field
    industrial_chain: str
    district: str
    tier: Tier
    lead_type: LeadUnitType
    scenario: str
    origin: Origin


@dataclass(frozen=True)
class Scenario:
    """Where a scenario's center is created (a window), the state it ends in, and how its dates are placed."""

    created_from: date
    created_to: date
    ends_in: State
    anchored: int | None
    short_period: bool


@dataclass(frozen=True)
class Words:
    surnames: tuple[Pair, ...]
    given_names: tuple[Pair, ...]
    brands: tuple[Pair, ...]
    company_suffixes: tuple[str, ...]
    universities: tuple[Pair, ...]
    roads: tuple[str, ...]
    academic_titles: tuple[str, ...]
    business_titles: tuple[str, ...]
    municipal_departments: tuple[str, ...]
    review_opinions_passed: tuple[str, ...]
    review_opinions_failed: tuple[str, ...]
    withdraw_reasons: tuple[str, ...]
    objections: tuple[str, ...]
    industries: dict[Field, tuple[str, ...]]
    institutes: dict[Field, tuple[str, ...]]
    plan_sections: dict[str, str]
    plan_items: dict[str, str]


@dataclass(frozen=True)
class DemoData:
    districts: tuple[str, ...]
    as_of: date
    seed: int
    short_period_years: int
    specs: tuple[Spec, ...]
    scenarios: dict[str, Scenario]
    words: Words


def _read(name: str) -> dict[str, Any]:
    text = resources.files("registry").joinpath("data", "demo", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


class _Reader:
    """Reads one file's keys, naming the file and key in any complaint."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.raw = _read(name)

    def get(self, *path: str) -> Any:
        value: Any = self.raw
        for key in path:
            if not isinstance(value, dict) or key not in value:
                raise DemoDataError(f"data/demo/{self.name}: {'.'.join(path)} is missing")
            value = value[key]
        return value

    def texts(self, *path: str) -> tuple[str, ...]:
        value = self.get(*path)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise DemoDataError(f"data/demo/{self.name}: {'.'.join(path)} must be a non-empty list of texts")
        return tuple(value)

    def pairs(self, *path: str) -> tuple[Pair, ...]:
        value = self.get(*path)
        if not isinstance(value, list) or not value or not all(isinstance(v, list) and len(v) == 2 for v in value):
            raise DemoDataError(f"data/demo/{self.name}: {'.'.join(path)} must be a list of [text, text] pairs")
        return tuple((str(a), str(b)) for a, b in value)

    def by_field(self, *path: str) -> dict[Field, tuple[str, ...]]:
        """A table keyed by field, in the file's order (the generator draws from its words in that order)."""
        table = self.get(*path)
        if set(table) != {field.value for field in Field}:
            raise DemoDataError(f"data/demo/{self.name}: {'.'.join(path)} must name every field once")
        return {Field(key): self.texts(*path, key) for key in table}

    def enum(self, kind: type[Any], value: Any, where: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            raise DemoDataError(f"data/demo/{self.name}: {where}: {value!r} is not a {kind.__name__}") from None


def _specs(centers: _Reader, scenarios: dict[str, Scenario], districts: tuple[str, ...]) -> tuple[Spec, ...]:
    specs = []
    for index, row in enumerate(centers.get("centers")):
        where = f"centers[{index}]"
        if not isinstance(row, list) or len(row) != 9:
            raise DemoDataError(f"data/demo/{centers.name}: {where} must have 9 values")
        domain_zh, domain_en, field, chain, district, tier, lead_type, scenario, origin = row
        if district not in districts:
            raise DemoDataError(f"data/demo/{centers.name}: {where}: district {district!r} is not among districts")
        if scenario not in scenarios:
            raise DemoDataError(f"data/demo/{centers.name}: {where}: no scenario {scenario!r}")
        specs.append(
            Spec(
                domain_zh,
                domain_en,
                centers.enum(Field, field, where),
                chain,
                district,
                centers.enum(Tier, tier, where),
                centers.enum(LeadUnitType, lead_type, where),
                scenario,
                centers.enum(Origin, origin, where),
            )
        )
    return tuple(specs)


@cache
def demo_data() -> DemoData:
    centers, words = _Reader("centers.toml"), _Reader("words.toml")
    scenarios = {
        name: Scenario(
            created_from=centers.get("scenarios", name, "from"),
            created_to=centers.get("scenarios", name, "to"),
            ends_in=centers.enum(State, centers.get("scenarios", name, "ends_in"), f"scenarios.{name}"),
            anchored=centers.get("scenarios", name).get("anchored"),
            short_period=bool(centers.get("scenarios", name).get("short_period", False)),
        )
        for name in centers.get("scenarios")
    }
    districts = centers.texts("districts")
    return DemoData(
        districts=districts,
        as_of=centers.get("as_of"),
        seed=centers.get("seed"),
        short_period_years=centers.get("short_period_years"),
        specs=_specs(centers, scenarios, districts),
        scenarios=scenarios,
        words=Words(
            surnames=words.pairs("surnames"),
            given_names=words.pairs("given_names"),
            brands=words.pairs("brands"),
            company_suffixes=words.texts("company_suffixes"),
            universities=words.pairs("universities"),
            roads=words.texts("roads"),
            academic_titles=words.texts("academic_titles"),
            business_titles=words.texts("business_titles"),
            municipal_departments=words.texts("municipal_departments"),
            review_opinions_passed=words.texts("review_opinions_passed"),
            review_opinions_failed=words.texts("review_opinions_failed"),
            withdraw_reasons=words.texts("withdraw_reasons"),
            objections=words.texts("objections"),
            industries=words.by_field("industries"),
            institutes=words.by_field("institutes"),
            plan_sections=dict(words.get("plan", "sections")),
            plan_items=dict(words.get("plan", "items")),
        ),
    )
