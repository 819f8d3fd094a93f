"""Annual rounds: opening one for a year (an evaluation for every eligible center), adding centers approved later,
and each round's progress and grade distribution as the caller may see them."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain.catalog import NoRulesInForce, rules_for_year
from evaluation.domain.evaluation import EVALUABLE_STATUSES, EvaluationStatus, is_eligible, kind_for
from evaluation.domain.indicators import IndicatorKind, load_indicator_system
from evaluation.domain.rules import EvaluationRules
from evaluation.store import centers as center_store
from evaluation.store import evaluations as evaluation_store
from evaluation.store import rounds as round_store
from evaluation.store.records import RoundCounts, RoundRecord
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.problems import Conflict, NotFound, Problem, field_problem
from tic_shared.reach import Reach


@dataclass(frozen=True)
class RoundView:
    round: RoundRecord
    counts: RoundCounts


@dataclass(frozen=True)
class CentersAdded:
    added: int  # evaluations opened now
    round: RoundView


def _year_problem(slug: str, message: str) -> Problem:
    return field_problem("body.year", message, slug=slug)


async def open_round(session: AsyncSession, *, principal: Principal, year: int) -> RoundView:
    """Open the annual round of `year`: one evaluation for every eligible center (building or operating).

    Only a year that has begun, and that the rules in force cover: an evaluation of a year to come would
    judge figures nobody could have reported.
    """
    current = today()
    if year > current.year:
        raise _year_problem(
            "round-year-not-begun",
            f"{year} has not begun (today is {current.isoformat()}); a round is for a past or the current year",
        )
    try:
        rules, system = rules_for_year(year)
    except NoRulesInForce as error:
        raise _year_problem("no-rules-in-force", str(error)) from error
    round_id = uuid.uuid4()
    created = await round_store.insert_round(
        session,
        round_id=round_id,
        year=year,
        indicator_system=system.code,
        rules=rules.code,
        opened_by=principal.subject,
    )
    if not created:
        raise Conflict("round-exists", f"the round of {year} is already open", year=year)
    await evaluation_store.insert_evaluations(
        session, rows=await _evaluations_due(session, round_id=round_id, year=year, rules=rules)
    )
    return await get_round(session, principal=principal, round_id=round_id)


async def add_newly_eligible(session: AsyncSession, *, principal: Principal, round_id: uuid.UUID) -> CentersAdded:
    """Add to an open round the centers that became eligible since it was opened (approved later that year)."""
    found = await _round_or_404(session, round_id=round_id)
    rules, _ = rules_for_year(found.year)
    added = await evaluation_store.insert_evaluations(
        session, rows=await _evaluations_due(session, round_id=round_id, year=found.year, rules=rules)
    )
    return CentersAdded(added=added, round=await get_round(session, principal=principal, round_id=round_id))


async def _evaluations_due(
    session: AsyncSession, *, round_id: uuid.UUID, year: int, rules: EvaluationRules
) -> list[dict[str, Any]]:
    """One new evaluation for every center eligible in `year`; the store skips the ones the year already has."""
    rows = []
    for center in await center_store.eligible_centers(session, statuses=EVALUABLE_STATUSES):
        if center.approved_on is None or not is_eligible(
            status=center.status, tier=center.tier, approved_on=center.approved_on, year=year, rules=rules
        ):
            continue
        kind = kind_for(
            status=center.status,
            approved_on=center.approved_on,
            construction_end=center.construction_end,
            year=year,
            rules=rules,
        )
        rows.append(
            {
                "id": uuid.uuid4(),
                "round_id": round_id,
                "center_id": center.center_id,
                "year": year,
                "kind": str(kind),
                "status": str(EvaluationStatus.AWAITING_REPORT),
            }
        )
    return rows


async def _round_or_404(session: AsyncSession, *, round_id: uuid.UUID) -> RoundRecord:
    found = await round_store.get_round(session, round_id=round_id)
    if found is None:
        raise NotFound("round", round_id)
    return found


async def round_exists(session: AsyncSession, *, round_id: uuid.UUID) -> None:
    """NotFound unless the round exists (rounds are not scoped: their counts are)."""
    await _round_or_404(session, round_id=round_id)


async def get_round(session: AsyncSession, *, principal: Principal, round_id: uuid.UUID) -> RoundView:
    return await _view(session, principal=principal, found=await _round_or_404(session, round_id=round_id))


async def _view(session: AsyncSession, *, principal: Principal, found: RoundRecord) -> RoundView:
    system = load_indicator_system(found.indicator_system)
    qualitative = sum(1 for i in system.indicators if i.kind is IndicatorKind.QUALITATIVE)
    counts = await round_store.round_counts(
        session, round_id=found.id, reach=Reach.of(principal), qualitative_count=qualitative
    )
    return RoundView(round=found, counts=counts)


async def list_rounds(
    session: AsyncSession, *, principal: Principal, year: int | None, before: int | None, limit: int
) -> list[RoundView]:
    found = await round_store.list_rounds(session, year=year, before=before, limit=limit)
    return [await _view(session, principal=principal, found=each) for each in found]
