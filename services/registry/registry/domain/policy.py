"""The registry's rule data (policy, vocabularies, program targets, plan outline) from its TOML files."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

# The contract's vocabulary and jurisdictions: the same words and districts the other services read.
from tic_shared.jurisdictions import Jurisdiction, jurisdiction_of, jurisdictions
from tic_shared.vocabulary import Field, LeadUnitType, Origin, Tier


@dataclass(frozen=True)
class Named:
    """A vocabulary entry: code, Chinese name, and the clause it comes from."""

    code: str
    zh: str
    clause: str


@dataclass(frozen=True)
class FieldName:
    code: Field
    zh: str
    en: str
    clause: str


@dataclass(frozen=True)
class District:
    """A district, county-level city, county or functional zone of one of the jurisdictions the platform serves.

    Read from the shared jurisdiction files (`tic_shared/data/jurisdictions/`), never from the registry's own data:
    funding and evaluation decide a center's policies from the same district, so the list is kept once.
    """

    code: str
    zh: str
    en: str
    kind: str
    division_code: str | None
    clause: str
    jurisdiction: str


@dataclass(frozen=True)
class Milestone:
    """Responsibility-letter figures due at one point of the construction period; money in fen."""

    investment_fen: int
    team: int
    high_level_teams: int
    clause: str


@dataclass(frozen=True)
class EndOfConstruction:
    transfer_bases: int
    partner_enterprises: int
    spinoffs: int
    enterprises_served: int
    clause: str


@dataclass(frozen=True)
class RegistryPolicy:
    """registry-policy.toml, typed."""

    version: str
    in_force_from: date
    in_force_name: str
    public_notice_restarts_after_dismissal: bool
    legal_entity_clause: str
    legal_entity_warning_days: int
    tier_change_states: tuple[str, ...]
    year_2: Milestone
    year_5: Milestone
    end_of_construction: EndOfConstruction
    fields: dict[Field, FieldName]
    tiers: dict[Tier, Named]
    origins: dict[Origin, Named]
    recommender_required: frozenset[Origin]
    lead_unit_types: dict[LeadUnitType, Named]
    districts: dict[str, District]


@dataclass(frozen=True)
class ProgramTarget:
    """A jurisdiction's goal for one tier by a year (POLICY §4)."""

    jurisdiction: str
    year: int
    tier: Tier
    count: int
    measure: str
    counted_from: date | None
    note: str
    clause: str


@dataclass(frozen=True)
class OutlineItem:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class OutlineSection:
    """A section of the construction-plan outline (建设方案编写提纲)."""

    number: int
    code: str
    zh: str
    en: str
    items: tuple[OutlineItem, ...]


def read_data(name: str) -> dict[str, Any]:
    """The raw content of one of the package's data files."""
    text = resources.files("registry").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def registry_policy() -> RegistryPolicy:
    raw = read_data("registry-policy.toml")
    letter = raw["responsibility_letter"]
    end = letter["end_of_construction"]
    return RegistryPolicy(
        version=raw["version"],
        in_force_from=raw["in_force"]["from"],
        in_force_name=raw["in_force"]["name"],
        public_notice_restarts_after_dismissal=raw["public_notice"]["restart_after_dismissed_objection"],
        legal_entity_clause=raw["legal_entity"]["clause"],
        legal_entity_warning_days=raw["legal_entity"]["warning"]["within_days"],
        tier_change_states=tuple(raw["tier_change"]["allowed_in_states"]),
        year_2=_milestone(letter["year_2"]),
        year_5=_milestone(letter["year_5"]),
        end_of_construction=EndOfConstruction(
            transfer_bases=end["transfer_bases"],
            partner_enterprises=end["partner_enterprises"],
            spinoffs=end["spinoffs"],
            enterprises_served=end["enterprises_served"],
            clause=end["clause"],
        ),
        fields={Field(f["code"]): FieldName(Field(f["code"]), f["zh"], f["en"], f["clause"]) for f in raw["fields"]},
        tiers={Tier(t["code"]): Named(t["code"], t["zh"], t["clause"]) for t in raw["tiers"]},
        origins={Origin(o["code"]): Named(o["code"], o["zh"], o["clause"]) for o in raw["origins"]},
        recommender_required=frozenset(Origin(o["code"]) for o in raw["origins"] if o["recommender_required"]),
        lead_unit_types={
            LeadUnitType(u["code"]): Named(u["code"], u["zh"], u["clause"]) for u in raw["lead_unit_types"]
        },
        districts={
            d.code: District(d.code, d.zh, d.en, d.kind.value, d.division_code, d.clause, j.code)
            for j in jurisdictions()
            for d in j.districts
        },
    )


def jurisdiction_of_district(district: str) -> Jurisdiction:
    """The jurisdiction whose names, code and lifecycle rules a center of `district` follows.

    The API refuses a district no jurisdiction lists, so a stored center always has one; a KeyError here means
    the data lost a district that centers still carry, which must not pass silently.
    """
    jurisdiction = jurisdiction_of(district)
    if jurisdiction is None:
        raise KeyError(f"district {district!r} belongs to no jurisdiction")
    return jurisdiction


def _milestone(raw: dict[str, Any]) -> Milestone:
    return Milestone(
        investment_fen=raw["investment_fen"],
        team=raw["team"],
        high_level_teams=raw["high_level_teams"],
        clause=raw["clause"],
    )


@cache
def program_targets() -> tuple[ProgramTarget, ...]:
    raw = read_data("program-targets.toml")
    return tuple(
        ProgramTarget(
            jurisdiction=t["jurisdiction"],
            year=t["year"],
            tier=Tier(t["tier"]),
            count=t["count"],
            measure=t["measure"],
            counted_from=t.get("counted_from"),
            note=t["note"],
            clause=t["clause"],
        )
        for t in raw["targets"]
    )


def targets_for(jurisdiction: str, year: int) -> dict[Tier, ProgramTarget]:
    """The targets a jurisdiction set for a year, by tier; empty when it set none."""
    return {t.tier: t for t in program_targets() if t.jurisdiction == jurisdiction and t.year == year}


@cache
def plan_outline() -> tuple[OutlineSection, ...]:
    raw = read_data("plan-outline.toml")
    return tuple(
        OutlineSection(
            number=s["number"],
            code=s["code"],
            zh=s["zh"],
            en=s["en"],
            items=tuple(OutlineItem(i["code"], i["zh"], i["en"]) for i in s.get("items", [])),
        )
        for s in raw["sections"]
    )
