"""Plan figures: a department reports a year's figure (a correction of an accepted one with its reason), the
bureau accepts or returns it, and an indicator's turn to behind is announced once (`TargetAtRisk`)."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.plans.catalog import load_departments, load_plan
from evaluation.plans.model import IndicatorKind, Plan, PlanIndicator
from evaluation.plans.progress import IndicatorProgress, Status
from evaluation.plans.units import UNIT_LABELS, Unit, exact
from evaluation.service.plans import actuals, indicator_or_404, judge_one, may_report, plan_or_404, report_etag
from evaluation.store import plans as plan_store
from evaluation.store.records import PlanReportRecord
from evaluation.store.tables import messaging
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.events.catalog import IndicatorAccepted, IndicatorReported, TargetAtRisk
from tic_shared.http import check_if_match
from tic_shared.outbox import record_event
from tic_shared.problems import Conflict, Forbidden, NotFound, Problem, field_problem


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
        raise Problem(
            422, "year-in-future", f"year {year} has not begun: figures are for years under way or past", year=year
        )
    if not first <= year <= last:
        raise Problem(
            422,
            "year-outside-plan",
            f"year {year} is outside the plan {plan.code} ({plan.period_start}–{plan.period_end}, "
            f"or the year before as its base)",
            year=year,
            first_year=first,
            last_year=last,
        )


def _check_value(unit: Unit, value: Decimal) -> None:
    # Progress is judged on whole fen: a fraction kept would leave its plan unreadable once accepted.
    if unit is Unit.FEN and value != value.to_integral_value():
        message = f"{value} is not a whole number of fen: money is reported in fen (1 CNY = 100 fen)"
        raise field_problem("body.value", message, slug="money-in-whole-fen")


async def report_figure(
    session: AsyncSession, *, principal: Principal, plan_code: str, indicator: str, figure: Figure
) -> PlanReportRecord:
    """A department (or the bureau) reports the indicator's figure of a year; it waits for the bureau."""
    plan = plan_or_404(plan_code)
    item = indicator_or_404(principal, plan, indicator)
    if item.indicator.kind is not IndicatorKind.REPORTED:
        raise Conflict(
            "derived-indicator", f"{indicator} is counted by the platform from its own records; nobody reports it"
        )
    if not may_report(principal, item):
        raise Forbidden(f"only {', '.join(item.responsible.departments)} or the bureau report {indicator}")
    _check_year(plan, figure.year)
    _check_value(item.indicator.unit, figure.value)
    latest = await plan_store.latest_of_year(session, plan=plan.code, indicator=indicator, year=figure.year)
    correcting = await plan_store.has_accepted(session, plan=plan.code, indicator=indicator, year=figure.year)
    if correcting and not figure.correction_reason:
        raise Problem(
            422,
            "correction-needs-reason",
            f"the {figure.year} figure of {indicator} was accepted; a correction must give its reason "
            "(correction_reason)",
        )
    if latest is not None and latest.status == "reported":
        # A newer figure before the bureau decided replaces the one waiting (both stay in the history).
        await plan_store.set_status(session, report_id=latest.id, status="superseded")
    actor = principal.subject
    row = await plan_store.insert_report(
        session,
        values={
            "id": uuid.uuid4(),
            "plan": plan.code,
            "indicator": indicator,
            "year": figure.year,
            "revision": latest.revision + 1 if latest is not None else 1,
            "value": figure.value,
            "source": figure.source,
            "note": figure.note,
            "correction_reason": figure.correction_reason if correcting else None,
            "department": principal.department or item.responsible.lead,
            "reported_by": actor,
            "status": "reported",
        },
    )
    await plan_store.record(session, report=row, action="reported", actor=actor, reason=figure.correction_reason)
    await record_event(
        session,
        messaging.outbox,
        IndicatorReported(
            **_figure_fields(plan, item, row), reported_by=actor, correction_reason=row.correction_reason
        ),
        subject=f"{plan.code}.{indicator}",
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


def _figure_fields(plan: Plan, item: PlanIndicator, row: PlanReportRecord) -> dict[str, Any]:
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


async def _waiting(
    session: AsyncSession, *, principal: Principal, report_id: uuid.UUID, if_match: str | None
) -> PlanReportRecord:
    """The report locked for a decision: one the caller sees, at the version they name, still waiting."""
    row = await plan_store.report(session, report_id=report_id, for_update=True)
    if row is None:
        raise NotFound("report", report_id)
    indicator_or_404(principal, plan_or_404(row.plan), row.indicator)
    check_if_match(if_match, report_etag(row))
    if row.status != "reported":
        raise Conflict("report-decided", f"this report is {row.status}: only a reported figure is accepted or returned")
    return row


async def accept_figure(
    session: AsyncSession, *, principal: Principal, report_id: uuid.UUID, if_match: str | None
) -> PlanReportRecord:
    """The bureau accepts a reported figure: it counts from now on (a correction replaces the year's earlier one)."""
    row = await _waiting(session, principal=principal, report_id=report_id, if_match=if_match)
    row = await plan_store.set_status(
        session, report_id=row.id, status="accepted", decided_by=principal.subject, decided_at=func.now()
    )
    await plan_store.supersede_accepted(session, plan=row.plan, indicator=row.indicator, year=row.year, keep=row.id)
    await plan_store.record(session, report=row, action="accepted", actor=principal.subject)
    plan = load_plan(row.plan)
    item = plan.indicator(row.indicator)
    await record_event(
        session,
        messaging.outbox,
        IndicatorAccepted(**_figure_fields(plan, item, row), accepted_by=principal.subject),
        subject=f"{plan.code}.{row.indicator}",
    )
    await announce_turn(session, plan=plan, item=item, judged=judge_one(plan, item, await actuals(session, plan=plan)))
    return row


async def return_figure(
    session: AsyncSession, *, principal: Principal, report_id: uuid.UUID, reason: str, if_match: str | None
) -> PlanReportRecord:
    """The bureau gives a reported figure back to its department with the reason."""
    row = await _waiting(session, principal=principal, report_id=report_id, if_match=if_match)
    row = await plan_store.set_status(
        session,
        report_id=row.id,
        status="returned",
        decided_by=principal.subject,
        decided_at=func.now(),
        return_reason=reason,
    )
    await plan_store.record(session, report=row, action="returned", actor=principal.subject, reason=reason)
    return row


async def announce_turn(session: AsyncSession, *, plan: Plan, item: PlanIndicator, judged: IndicatorProgress) -> bool:
    """Remember the indicator's status; on its turn to behind (and only then) tell the lead department and the
    bureau with `TargetAtRisk`. True when it was announced."""
    before = await plan_store.last_status(session, plan=plan.code, indicator=judged.indicator)
    await plan_store.remember_status(session, plan=plan.code, indicator=judged.indicator, status=judged.status.value)
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
