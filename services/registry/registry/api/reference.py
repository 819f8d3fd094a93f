"""Reference data for forms and dashboards, and the program targets against the registry's live counts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from registry.api import schemas
from registry.domain.credit_code import validate_credit_code
from registry.domain.policy import plan_outline, registry_policy
from registry.service import reading
from tic_shared.auth import Principal, scoped
from tic_shared.jurisdictions import Jurisdiction, Point, jurisdictions
from tic_shared.problems import problem
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["reference"])
Reader = Annotated[Principal, scoped("registry:read")]


def _source(point: Point) -> dict[str, Any]:
    return {"clause": point.clause, "default": point.default, "note": point.note}


def _jurisdiction(j: Jurisdiction) -> dict[str, Any]:
    """What the registry applies by jurisdiction: names, code format, notice and construction period, cited."""
    return {
        "code": j.code,
        "zh": j.name_zh,
        "en": j.name_en,
        "official_names": {"zh": j.official_names.zh, "en": j.official_names.en, **_source(j.official_names)},
        "registry_code": {"format": j.registry_code.format, **_source(j.registry_code)},
        "public_notice_days": j.public_notice.days,
        "public_notice": _source(j.public_notice),
        "construction_years": {
            "normal": j.construction_period.normal_years,
            "max": j.construction_period.max_years,
            **_source(j.construction_period),
        },
    }


@router.get(
    "/reference",
    summary="Tiers, fields, origins, lead-unit types, jurisdictions, districts and the plan outline",
)
async def reference(_: Reader) -> dict[str, Any]:
    policy = registry_policy()
    return {
        "policy_version": policy.version,
        "jurisdictions": [_jurisdiction(j) for j in jurisdictions()],
        "tiers": [{"code": t.code, "zh": t.zh, "clause": t.clause} for t in policy.tiers.values()],
        "fields": [{"code": f.code.value, "zh": f.zh, "en": f.en, "clause": f.clause} for f in policy.fields.values()],
        "origins": [{"code": o.code, "zh": o.zh, "clause": o.clause} for o in policy.origins.values()],
        "lead_unit_types": [{"code": u.code, "zh": u.zh} for u in policy.lead_unit_types.values()],
        "districts": [
            {"code": d.code, "zh": d.zh, "en": d.en, "kind": d.kind, "jurisdiction": d.jurisdiction}
            for d in policy.districts.values()
        ],
        "plan_outline": [
            {
                "code": s.code,
                "zh": s.zh,
                "en": s.en,
                "items": [{"code": i.code, "zh": i.zh, "en": i.en} for i in s.items],
            }
            for s in plan_outline()
        ],
    }


class CreditCodeVerdict(BaseModel):
    """The GB 32100 check of one unified social credit code, as forms show it while a person types."""

    code: str = Field(examples=["91330200MA2H4R5T0L"])
    valid: bool
    problem: str | None = Field(default=None, examples=["wrong_check_character"])
    detail: str = Field(default="", examples=["check character is 'X', expected 'L'"])


@router.get(
    "/reference/credit-codes/{code}",
    response_model=CreditCodeVerdict,
    summary="Check a unified social credit code (GB 32100-2015) without recording anything",
)
async def check_credit_code(
    _: Reader, code: Annotated[str, Path(min_length=1, max_length=40, examples=["91330200MA2H4R5T0L"])]
) -> CreditCodeVerdict:
    verdict = validate_credit_code(code.strip().upper())
    return CreditCodeVerdict(
        code=verdict.code,
        valid=verdict.valid,
        problem=verdict.problem.value if verdict.problem else None,
        detail=verdict.detail,
    )


@router.get(
    "/program-targets",
    response_model=schemas.ProgramTargets,
    responses={404: problem(404, "No targets of that jurisdiction for that year")},
    summary="A jurisdiction's targets for a year against the registry's live counts",
)
async def targets(
    session: SessionDep,
    principal: Reader,
    jurisdiction: Annotated[str, Query(max_length=40)] = "ningbo",
    year: Annotated[int, Query(ge=2000, le=2100)] = 2025,
) -> Any:
    progress = await reading.program_progress(session, principal=principal, jurisdiction=jurisdiction, year=year)
    return schemas.ProgramTargets(
        jurisdiction=jurisdiction,
        year=year,
        counted_in=progress.counted_in,
        targets=[
            schemas.ProgramTargetProgress(
                tier=found.target.tier,
                target=found.target.count,
                measure=found.target.measure,
                counted_from=found.target.counted_from,
                live_count=found.live_count,
                remaining=found.remaining,
                note=found.target.note,
                clause=found.target.clause,
            )
            for found in progress.targets
        ],
    )
