"""Plans as the caller may see them: which indicators (a department officer its own, everyone else who may read
plans all of them), where each stands on the accepted and derived figures, overdue figures, a department's
standing. The reporting and deciding of figures is `plan_reports`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.plans.catalog import list_plans, load_departments, load_plan, load_progress_rule
from evaluation.plans.departments import Department
from evaluation.plans.model import IndicatorKind, Plan, PlanIndicator
from evaluation.plans.progress import (
    Actual,
    DepartmentProgress,
    IndicatorProgress,
    PathPoint,
    PlanProgress,
    by_department,
    judge,
    judge_plan,
    path_points,
)
from evaluation.plans.progress_rule import ProgressRule
from evaluation.plans.units import exact
from evaluation.store import plans as plan_store
from evaluation.store.records import PlanReportRecord
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.http import etag_for
from tic_shared.jurisdictions import jurisdictions
from tic_shared.problems import NotFound
from tic_shared.reach import EVERYTHING, Reach

# ---- who sees what ----


def plan_reach(principal: Principal) -> Reach:
    """Plans are limited by department only: a reader who is no department officer sees every indicator."""
    return Reach.of(principal) if principal.has_role("department_officer") else EVERYTHING


def sees(reach: Reach, item: PlanIndicator) -> bool:
    """Whether the indicator is within reach: one of the departments it names (lead or co) is the caller's."""
    return any(reach.admits(department=department) for department in item.responsible.departments)


def may_report(principal: Principal, item: PlanIndicator) -> bool:
    """A department reports what it leads or shares; a bureau reader with the scope reports anything."""
    if not principal.has_scope("plans:report") or item.indicator.kind is not IndicatorKind.REPORTED:
        return False
    if principal.has_role("department_officer"):
        return sees(plan_reach(principal), item)
    return principal.sees_everything


def visible(principal: Principal, plan: Plan) -> list[PlanIndicator]:
    reach = plan_reach(principal)
    return [item for item in plan.all_indicators() if sees(reach, item)]


def plan_or_404(code: str) -> Plan:
    if code not in list_plans():
        raise NotFound("plan", code)
    return load_plan(code)


def indicator_or_404(principal: Principal, plan: Plan, code: str) -> PlanIndicator:
    """The indicator, or 404 when the plan has none or it is another department's (as for any row one may not see)."""
    try:
        item = plan.indicator(code)
    except KeyError:
        raise NotFound("indicator", f"{plan.code}/{code}") from None
    if not sees(plan_reach(principal), item):
        raise NotFound("indicator", f"{plan.code}/{code}")
    return item


def report_etag(report: PlanReportRecord) -> str:
    return etag_for(report.id, report.version)


def _plans() -> list[Plan]:
    return [load_plan(code) for code in list_plans()]


# ---- figures and progress ----


async def actuals(session: AsyncSession, *, plan: Plan) -> dict[str, list[Actual]]:
    """Per indicator the figures that count: the accepted revision of each reported year, and for derived
    indicators the platform's own count at the end of each year of the plan so far."""
    found: dict[str, list[Actual]] = {}
    for row in await plan_store.reports_of(session, plan=plan.code):
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
        counts = await plan_store.centers_by_year(
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


async def progress(session: AsyncSession, *, plan: Plan) -> PlanProgress:
    return judge_plan(plan, await actuals(session, plan=plan), rule=load_progress_rule(plan.progress_rule))


def judge_one(plan: Plan, item: PlanIndicator, figures: dict[str, list[Actual]]) -> IndicatorProgress:
    """One indicator of the plan judged as `judge_plan` judges it, without judging the rest."""
    judged = judge(
        item.indicator,
        figures.get(item.indicator.code, ()),
        rule=load_progress_rule(plan.progress_rule),
        first_year=plan.period_start,
    )
    return judged.model_copy(update={"task": item.task.code if item.task else None})


# ---- reads ----


@dataclass(frozen=True)
class IndicatorStanding:
    """An indicator the caller sees, where it stands, and whether the caller may report it."""

    item: PlanIndicator
    progress: IndicatorProgress
    may_report: bool


@dataclass(frozen=True)
class PlanView:
    plan: Plan
    indicators: list[IndicatorStanding]


@dataclass(frozen=True)
class IndicatorView:
    """An indicator with every figure reported for it, the path it is judged against, and its reporting rule."""

    plan: Plan
    standing: IndicatorStanding
    reports: list[PlanReportRecord]
    path: tuple[PathPoint, ...]
    rule: ProgressRule


async def _plan_view(session: AsyncSession, *, principal: Principal, plan: Plan) -> PlanView:
    judged = {item.indicator: item for item in (await progress(session, plan=plan)).items}
    return PlanView(
        plan=plan,
        indicators=[
            IndicatorStanding(item, judged[item.indicator.code], may_report(principal, item))
            for item in visible(principal, plan)
        ],
    )


async def list_plans_seen(session: AsyncSession, *, principal: Principal) -> list[PlanView]:
    """Every plan with at least one indicator the caller sees, with those indicators."""
    views = [await _plan_view(session, principal=principal, plan=plan) for plan in _plans()]
    return [view for view in views if view.indicators]


async def get_plan(session: AsyncSession, *, principal: Principal, code: str) -> PlanView:
    """A plan with the caller's indicators; NotFound when it has none the caller sees."""
    view = await _plan_view(session, principal=principal, plan=plan_or_404(code))
    if not view.indicators:
        raise NotFound("plan", code)
    return view


async def get_indicator(session: AsyncSession, *, principal: Principal, code: str, indicator: str) -> IndicatorView:
    plan = plan_or_404(code)
    item = indicator_or_404(principal, plan, indicator)
    figures = await actuals(session, plan=plan)
    rule = load_progress_rule(plan.progress_rule)
    return IndicatorView(
        plan=plan,
        standing=IndicatorStanding(item, judge_one(plan, item, figures), may_report(principal, item)),
        reports=await plan_store.reports_of(session, plan=plan.code, indicators=[indicator]),
        path=path_points(item.indicator, figures.get(indicator, ()), rule),
        rule=rule,
    )


@dataclass(frozen=True)
class Overdue:
    plan: Plan
    item: PlanIndicator
    year: int
    due_on: date
    last_status: str | None  # a report that was returned, or none at all


async def overdue(session: AsyncSession, *, principal: Principal, plans: Sequence[Plan] | None = None) -> list[Overdue]:
    """Reported indicators whose figure of a past year is past its due date with no accepted or waiting report
    (of every plan, unless `plans` are given)."""
    found: list[Overdue] = []
    now = today()
    for plan in _plans() if plans is None else plans:
        rule = load_progress_rule(plan.progress_rule).reporting
        items = [item for item in visible(principal, plan) if item.indicator.kind is IndicatorKind.REPORTED]
        rows = await plan_store.reports_of(session, plan=plan.code, indicators=[item.indicator.code for item in items])
        by_year: dict[tuple[str, int], list[PlanReportRecord]] = {}
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


def list_departments() -> list[tuple[str, Department]]:
    """The departments the plans make responsible, with their jurisdiction, by jurisdiction."""
    return [
        (jurisdiction, known)
        for jurisdiction in sorted({plan.jurisdiction for plan in _plans()})
        for known in load_departments(jurisdiction).departments
    ]


@dataclass(frozen=True)
class DepartmentView:
    """A department's standing across its jurisdiction's plans, its overdue figures and its returned reports."""

    department: Department
    standing: DepartmentProgress | None
    overdue: list[Overdue]
    returned: list[PlanReportRecord]  # newest first


async def get_department(session: AsyncSession, *, principal: Principal, department: str) -> DepartmentView:
    """NotFound for a department unknown, or another department's to a department officer."""
    if not plan_reach(principal).admits(department=department):
        raise NotFound("department", department)
    jurisdiction = department.split(".", 1)[0]
    try:
        known = load_departments(jurisdiction).get(department)
    except LookupError as error:  # KeyError, or UnknownDataFile for an unknown jurisdiction
        raise NotFound("department", department) from error
    plans = [plan for plan in _plans() if plan.jurisdiction == jurisdiction]
    judged = [(plan, await progress(session, plan=plan)) for plan in plans]
    standing = next((d for d in by_department(judged) if d.department == department), None)
    late = await overdue(session, principal=principal, plans=plans)
    returned = [
        row
        for plan in plans
        for row in await plan_store.reports_of(session, plan=plan.code)
        if row.status == "returned" and row.department == department
    ]
    return DepartmentView(
        department=known,
        standing=standing,
        overdue=[o for o in late if department in o.item.responsible.departments],
        returned=sorted(returned, key=lambda r: r.reported_at, reverse=True),
    )
