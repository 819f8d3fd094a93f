"""The centers as this service knows them: the projection kept from the registry's events, and who is at risk."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain.evaluation import EVALUABLE_STATUSES
from evaluation.domain.rules import Grade
from evaluation.store import centers as center_store
from evaluation.store import evaluations as evaluation_store
from evaluation.store.records import CenterRecord, LocatedEvaluation
from tic_shared.auth import Principal
from tic_shared.events.catalog import CenterApproved, RegistryEvent
from tic_shared.problems import NotFound
from tic_shared.reach import Reach


async def apply_registry_event(session: AsyncSession, *, data: RegistryEvent) -> bool:
    """Keep the projection of one center from a registry event, whatever order events arrive in.

    The state (status, tier, code, district) follows the newest event; the facts only CenterApproved carries
    (approval date, construction period, targets, lead unit) and the name are kept from whichever event carries
    them, so a late approval still gives its dates. Returns whether the event was the newest.
    """
    values: dict[str, Any] = {
        "center_id": data.center_id,
        "code": data.code,
        "tier": str(data.tier),
        "status": str(data.status),
        "district": data.district,
        "last_sequence": data.sequence,
        "name_zh": data.name_zh,
    }
    if isinstance(data, CenterApproved):
        values |= {
            "lead_unit": data.lead_unit.model_dump(mode="json"),
            "approved_on": data.approved_on,
            "construction_start": data.construction_start,
            "construction_end": data.construction_end,
            "targets": data.targets,
        }
    return await center_store.project_center(session, values=values)


async def list_centers(
    session: AsyncSession,
    *,
    principal: Principal,
    status: str | None,
    district: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[CenterRecord]:
    return await center_store.list_centers(
        session, reach=Reach.of(principal), status=status, district=district, after=after, limit=limit
    )


async def get_center(session: AsyncSession, *, principal: Principal, center_id: uuid.UUID) -> CenterRecord:
    found = await center_store.get_center(session, reach=Reach.of(principal), center_id=center_id)
    if found is None:
        raise NotFound("center", center_id)
    return found


@dataclass(frozen=True)
class AtRisk:
    """A center's latest finalized evaluation, and why it puts the center at risk."""

    evaluation: LocatedEvaluation
    reasons: list[dict[str, Any]]


async def centers_at_risk(session: AsyncSession, *, principal: Principal) -> list[AtRisk]:
    """Centers whose latest finalized result is unqualified, or whose latest milestone check missed a target."""
    found: list[AtRisk] = []
    latest = await evaluation_store.latest_finalized(session, reach=Reach.of(principal), statuses=EVALUABLE_STATUSES)
    for row in latest:
        reasons: list[dict[str, Any]] = []
        if row.grade == str(Grade.UNQUALIFIED):
            reasons.append(
                {
                    "kind": "unqualified",
                    "year": row.year,
                    "evaluation_id": str(row.id),
                    "consecutive_unqualified": row.consecutive_unqualified,
                }
            )
        for check in (row.result or {}).get("milestones", []):
            if not check.get("met"):
                missed = [f["figure"] for f in check.get("figures", []) if not f.get("met")]
                reasons.append(
                    {
                        "kind": "milestone_missed",
                        "year": row.year,
                        "evaluation_id": str(row.id),
                        "milestone": check.get("checkpoint"),
                        "figures": missed,
                    }
                )
        if reasons:
            found.append(AtRisk(evaluation=row, reasons=reasons))
    return found
