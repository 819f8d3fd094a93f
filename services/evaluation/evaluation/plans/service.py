"""Plan use cases: who sees and reports which indicators, reporting a year's figure, the bureau accepting or
returning it, each plan's progress on accepted and derived figures, overdue reports, and the turn to behind.

A department officer (token claim `department`) sees and reports the indicators it leads or shares; a reader
with `plans:read` and no department (bureau, district officers) sees them all; `plans:accept` decides.
Never commits: the request's unit of work does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.plans.catalog import list_plans, load_departments, load_plan, load_progress_rule
from evaluation.plans.model import UNIT_LABELS, IndicatorKind, Plan, PlanIndicator
from evaluation.plans.progress import Actual, IndicatorProgress, PlanProgress, Status, judge, judge_plan
from evaluation.store import plans as store
from evaluation.store.tables import messaging
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.events.catalog import IndicatorAccepted, IndicatorReported, TargetAtRisk
from tic_shared.http import check_if_match, etag_for
from tic_shared.jurisdictions import jurisdictions
from tic_shared.outbox import record_event
from tic_shared.problems import Conflict, Forbidden, NotFound, Problem


def plan_or_404(code: str) -> Plan:
    if code not in list_plans():
        raise NotFound("plan", code)
    return load_plan(code)


def is_department(principal: Principal) -> bool:
    return principal.has_role("department_officer")


def sees(principal: Principal, item: PlanIndicator) -> bool:
    """A department sees what it leads or shares; everyone else who may read plans sees every indicator."""
    if not is_department(principal):
        return True
    return principal.department is not None and principal.department in item.responsible.departments


def may_report(principal: Principal, item: PlanIndicator) -> bool:
    if not principal.has_scope("plans:report") or item.indicator.kind is not IndicatorKind.REPORTED:
        return False
    return sees(principal, item) if is_department(principal) else principal.sees_everything


def visible(principal: Principal, plan: Plan) -> list[PlanIndicator]:
    return [item for item in plan.all_indicators() if sees(principal, item)]


def indicator_or_404(principal: Principal, plan: Plan, code: str) -> PlanIndicator:
    """The indicator, or 404 when the plan has none or it is another department's (as for any row one may not see)."""
    try:
        item = plan.indicator(code)
    except KeyError:
        raise NotFound("indicator", f"{plan.code}/{code}") from None
    if not sees(principal, item):
        raise NotFound("indicator", f"{plan.code}/{code}")
    return item


def exact(value: Any) -> Decimal:
    """A stored figure as it was written: 74.100000 is 74.1 and 100.000000 is 100 (never 1E+2)."""
    number = Decimal(value).normalize()
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def report_etag(row: Any) -> str:
    return etag_for(row.id, row.version)


# ---- figures ----


async def actuals(session: AsyncSession, plan: Plan) -> dict[str, list[Actual]]:
    """Per indicator the figures that count: the accepted revision of each reported year, and for derived
    indicators the platform's own count at the end of each year of the plan so far."""
    found: dict[str, list[Actual]] = {}
    for row in await store.reports_of(session, plan.code):
        if row.status == "accepted":
            found.setdefault(row.indicator, []).append(Actual(row.year, exact(row.value)))
    last = min(plan.period_end, today().year)
    districts = [district.code for district in jurisdictions()[plan.jurisdiction].districts]
    for item in plan.all_indicators():
        spec = item.indicator.derived
        if spec is None:
            continue
        first = item.indicator.baseline.year + 1 if item.indicator.baseline else plan.period_start
        years = list(range(max(first, plan.period_start), last + 1))
        counts = await store.centers_by_year(
            session,
            districts=districts,  # a plan counts only its own jurisdiction's centers
            tiers=[spec.tier.value],
            statuses=[status.value for status in spec.statuses],
            since=spec.counted_from,
            years=years,
        )
        found[item.indicator.code] = [Actual(year, Decimal(count)) for year, count in counts.items()]
    for figures in found.values():
        figures.sort(key=lambda actual: actual.year)
    return found


async def progress(session: AsyncSession, plan: Plan) -> PlanProgress:
    return judge_plan(plan, await actuals(session, plan), rule=load_progress_rule(plan.progress_rule))


def judge_one(plan: Plan, item: PlanIndicator, figures: dict[str, list[Actual]]) -> IndicatorProgress:
    """One indicator of the plan judged as `judge_plan` judges it, without judging the rest."""
    judged = judge(
        item.indicator,
        figures.get(item.indicator.code, ()),
        rule=load_progress_rule(plan.progress_rule),
        first_year=plan.period_start,
    )
    return judged.model_copy(update={"task": item.task.code if item.task else None})


# ---- reporting ----


@dataclass(frozen=True)
class Figure:
    year: int
    value: Decimal
    source: str
    note: str | None = None
    correction_reason: str | None = None


def _check_year(plan: Plan, year: int) -> None:
    first, last = plan.period_start - 1, min(plan.period_end, today().year)
    if year > today().year:
        raise Problem(422, "year-in-future", f"year {year} has not begun: figures are for years under way or past")
    if not first <= year <= last:
        raise Problem(
            422,
            "year-outside-plan",
            f"year {year} is outside the plan {plan.code} ({plan.period_start}–{plan.period_end}, "
            f"or the year before as its base)",
        )


async def report(session: AsyncSession, principal: Principal, plan: Plan, code: str, figure: Figure) -> Any:
    item = indicator_or_404(principal, plan, code)
    if item.indicator.kind is not IndicatorKind.REPORTED:
        raise Conflict(
            "derived-indicator", f"{code} is counted by the platform from its own records; nobody reports it"
        )
    if not may_report(principal, item):
        raise Forbidden(f"only {', '.join(item.responsible.departments)} or the bureau report {code}")
    _check_year(plan, figure.year)
    latest = await store.latest_of_year(session, plan.code, code, figure.year)
    correcting = await store.has_accepted(session, plan.code, code, figure.year)
    if correcting and not figure.correction_reason:
        raise Problem(
            422,
            "correction-needs-reason",
            f"the {figure.year} figure of {code} was accepted; a correction must give its reason (correction_reason)",
        )
    if latest is not None and latest.status == "reported":
        # A newer figure before the bureau decided replaces the one waiting (both stay in the history).
        await store.set_status(session, latest.id, status="superseded")
    revision = latest.revision + 1 if latest is not None else 1
    actor = principal.subject
    row = await store.insert_report(
        session,
        {
            "id": uuid.uuid4(),
            "plan": plan.code,
            "indicator": code,
            "year": figure.year,
            "revision": revision,
            "value": figure.value,
            "source": figure.source,
            "note": figure.note,
            "correction_reason": figure.correction_reason if correcting else None,
            "department": principal.department or item.responsible.lead,
            "reported_by": actor,
            "status": "reported",
        },
    )
    await store.record(session, row, "reported", actor, figure.correction_reason)
    await record_event(
        session,
        messaging.outbox,
        IndicatorReported(
            **_figure_fields(plan, item, row), reported_by=actor, correction_reason=row.correction_reason
        ),
        subject=f"{plan.code}.{code}",
    )
    return row


def _names(plan: Plan, item: PlanIndicator) -> dict[str, str]:
    """What a notice calls the plan, the unit and the lead department, in both languages."""
    unit = UNIT_LABELS[item.indicator.unit]
    lead = load_departments(plan.jurisdiction).get(item.responsible.lead)
    return {
        "plan_title_zh": plan.title_zh,
        "plan_title_en": plan.title_en,
        "unit_zh": unit.zh,
        "unit_en": unit.en,
        "department_zh": lead.zh,
        "department_en": lead.en,
    }


def _figure_fields(plan: Plan, item: PlanIndicator, row: Any) -> dict[str, Any]:
    return {
        **_names(plan, item),
        "name_zh": item.indicator.name_zh,
        "name_en": item.indicator.name_en,
        "report_id": row.id,
        "plan": plan.code,
        "jurisdiction": plan.jurisdiction,
        "indicator": row.indicator,
        "year": row.year,
        "value": format(exact(row.value), "f"),
        "unit": item.indicator.unit.value,
        "revision": row.revision,
        "department": item.responsible.lead,
    }


async def _reported(session: AsyncSession, principal: Principal, report_id: uuid.UUID, if_match: str | None) -> Any:
    row = await store.report(session, report_id, for_update=True)
    if row is None:
        raise NotFound("report", report_id)
    plan = plan_or_404(row.plan)
    indicator_or_404(principal, plan, row.indicator)
    check_if_match(if_match, report_etag(row))
    if row.status != "reported":
        raise Conflict("report-decided", f"this report is {row.status}: only a reported figure is accepted or returned")
    return row


async def accept(session: AsyncSession, principal: Principal, report_id: uuid.UUID, if_match: str | None) -> Any:
    row = await _reported(session, principal, report_id, if_match)
    row = await store.set_status(
        session, row.id, status="accepted", decided_by=principal.subject, decided_at=func.now()
    )
    await store.supersede_accepted(session, row.plan, row.indicator, row.year, keep=row.id)
    await store.record(session, row, "accepted", principal.subject)
    plan = load_plan(row.plan)
    item = plan.indicator(row.indicator)
    await record_event(
        session,
        messaging.outbox,
        IndicatorAccepted(**_figure_fields(plan, item, row), accepted_by=principal.subject),
        subject=f"{plan.code}.{row.indicator}",
    )
    await announce_turn(session, plan, item, judge_one(plan, item, await actuals(session, plan)))
    return row


async def give_back(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, reason: str, if_match: str | None
) -> Any:
    row = await _reported(session, principal, report_id, if_match)
    row = await store.set_status(
        session,
        row.id,
        status="returned",
        decided_by=principal.subject,
        decided_at=func.now(),
        return_reason=reason,
    )
    await store.record(session, row, "returned", principal.subject, reason)
    return row


async def announce_turn(session: AsyncSession, plan: Plan, item: PlanIndicator, judged: IndicatorProgress) -> bool:
    """Remember the indicator's status; on its turn to behind (and only then) tell the lead department and the
    bureau with `TargetAtRisk`. True when it was announced."""
    before = await store.last_status(session, plan.code, judged.indicator)
    await store.remember_status(session, plan.code, judged.indicator, judged.status.value)
    if judged.status is not Status.BEHIND or before == Status.BEHIND.value:
        return False
    indicator = item.indicator
    await record_event(
        session,
        messaging.outbox,
        TargetAtRisk(
            plan=plan.code,
            jurisdiction=plan.jurisdiction,
            indicator=indicator.code,
            name_zh=indicator.name_zh,
            name_en=indicator.name_en,
            department=item.responsible.lead,
            co_departments=list(item.responsible.co),
            latest_year=judged.latest_year,
            latest_value=_text(judged.latest_value),
            expected=_text(judged.expected),
            target_year=judged.target_year,
            target=_text(judged.target) or "",
            reason_zh=judged.reason.zh,
            reason_en=judged.reason.en,
            **_names(plan, item),
        ),
        subject=f"{plan.code}.{indicator.code}",
    )
    return True


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


# ---- overdue ----


@dataclass(frozen=True)
class Overdue:
    plan: Plan
    item: PlanIndicator
    year: int
    due_on: date
    last_status: str | None  # a report that was returned, or none at all


async def overdue(session: AsyncSession, principal: Principal, plans: Sequence[Plan]) -> list[Overdue]:
    """Reported indicators whose figure of a past year is past its due date with no accepted or waiting report."""
    found: list[Overdue] = []
    now = today()
    for plan in plans:
        rule = load_progress_rule(plan.progress_rule).reporting
        items = [item for item in visible(principal, plan) if item.indicator.kind is IndicatorKind.REPORTED]
        rows = await store.reports_of(session, plan.code, [item.indicator.code for item in items])
        by_year: dict[tuple[str, int], list[Any]] = {}
        for row in rows:
            by_year.setdefault((row.indicator, row.year), []).append(row)
        for item in items:
            for year in range(plan.period_start, min(plan.period_end, now.year - 1) + 1):
                due = rule.due_on(year)
                if due >= now:
                    continue
                reports = by_year.get((item.indicator.code, year), [])
                if any(row.status in ("accepted", "reported") for row in reports):
                    continue
                last = reports[-1].status if reports else None
                found.append(Overdue(plan, item, year, due, last))
    return found
