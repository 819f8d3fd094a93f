"""Plans: every jurisdiction's plan with its indicators as progress bars in their status colours, an indicator's
figures against its target path, reporting a year's figure, the bureau accepting or returning it, and a
department's to-do list (its overdue figures and the reports given back to it)."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dashboard import i18n
from dashboard.auth import CheckedForm, CurrentUser, User
from dashboard.clients import Answer, gather
from dashboard.web import Names, api_for, locale_of, problem_text, refusal, render

router = APIRouter(include_in_schema=False)
STATUS_ORDER = ("behind", "on_track", "met", "no_data")


def _departments(answer: Answer, locale: str) -> dict[str, str]:
    return Names.of(locale, departments=answer).departments


def _fen_from_wan(typed: str) -> str:
    """An amount typed in 万元 as fen (exact; a fraction of a fen left for the API to refuse); what is not a number
    goes on as typed, for the API to name the field."""
    try:
        fen = Decimal(typed) * i18n.FEN_PER_WAN
    except InvalidOperation:
        return typed
    return format(fen.quantize(Decimal(1)) if fen == fen.to_integral_value() else fen.normalize(), "f")


def target_unit(indicator: dict[str, Any]) -> str:
    """What an indicator's targets count in: a growth-rate indicator's targets are yearly growth in percent, its
    figures are in its own unit."""
    return "percent" if indicator["direction"] == "growth_rate" else str(indicator["unit"])


@router.get("/plans", response_class=HTMLResponse)
async def plans_home(request: Request, user: CurrentUser) -> HTMLResponse:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    found = await gather(
        plans=api.get("evaluation", "/api/v1/plans"),
        overdue=api.get("evaluation", "/api/v1/plans/overdue"),
        departments=api.get("evaluation", "/api/v1/plans/departments"),
    )
    return render(
        request,
        "pages/plans.html",
        user=user,
        title=gettext("Plans"),
        found=found,
        statuses=STATUS_ORDER,
        names=_departments(found["departments"], locale_of(request)),
    )


@router.get("/plans/departments/{department}", response_class=HTMLResponse)
async def department_page(request: Request, user: CurrentUser, department: str) -> HTMLResponse:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    found = await gather(
        department=api.get("evaluation", f"/api/v1/plans/departments/{department}"),
        departments=api.get("evaluation", "/api/v1/plans/departments"),
    )
    if not found["department"].ok:
        return refusal(request, user, gettext("Department"), found["department"])
    # The plans its returned reports and lagging indicators belong to: their indicators' names and units.
    todo = found["department"].data
    named = {r["plan"] for r in todo["returned"]} | {b.split("/")[0] for b in todo["behind"]}
    plans = await gather(**{code: api.get("evaluation", f"/api/v1/plans/{code}") for code in named})
    indicators = {
        f"{code}/{row['code']}": row for code, plan in plans.items() if plan.ok for row in plan.data["indicator_rows"]
    }
    return render(
        request,
        "pages/plan_department.html",
        user=user,
        title=gettext("To do"),
        department=todo,
        names=_departments(found["departments"], locale_of(request)),
        indicators=indicators,
    )


@router.get("/plans/{code}", response_class=HTMLResponse)
async def plan_page(request: Request, user: CurrentUser, code: str, status: str | None = None) -> HTMLResponse:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    found = await gather(
        plan=api.get("evaluation", f"/api/v1/plans/{code}"),
        departments=api.get("evaluation", "/api/v1/plans/departments"),
    )
    if not found["plan"].ok:
        return refusal(request, user, gettext("Plan"), found["plan"])
    plan = found["plan"].data
    rows = [row for row in plan["indicator_rows"] if status is None or row["progress"]["status"] == status]
    rows.sort(key=lambda row: (STATUS_ORDER.index(row["progress"]["status"]), row["number"] or ""))
    return render(
        request,
        "pages/plan.html",
        user=user,
        title=plan["title_en"] if locale_of(request) == "en" else plan["title_zh"],
        plan=plan,
        rows=rows,
        status=status,
        statuses=STATUS_ORDER,
        names=_departments(found["departments"], locale_of(request)),
        target_unit=target_unit,
    )


def _trajectory(indicator: dict[str, Any], gettext: Any, locale: str) -> dict[str, Any] | None:
    """The accepted figures as a line against the path they are judged by, the targets marked (a growth rate's
    figures alone); money in 万元, the axis named by the unit."""
    unit = indicator["unit"]
    scale = i18n.FEN_PER_WAN if unit == "fen" else 1
    accepted = {r["year"]: float(r["value"]) / scale for r in indicator["reports"] if r["status"] == "accepted"}
    # A growth rate's path and targets are yearly growth in percent, not figures: they are not drawn on its axis.
    growth = indicator["direction"] == "growth_rate"
    path = {} if growth else {p["year"]: float(p["value"]) / scale for p in indicator["path"]}
    targets = {} if growth else {t["year"]: float(t["value"]) / scale for t in indicator["targets"]}
    if not (accepted or path or targets):
        return None  # nothing to draw: the page says there is no figure yet
    axis = gettext("CNY 10,000") if unit == "fen" else i18n.unit_name(unit, locale)
    years = sorted(set(accepted) | set(path) | set(targets))
    if indicator["baseline_year"] is not None:
        years = sorted(set(years) | {indicator["baseline_year"]})
    span = list(range(years[0], years[-1] + 1))
    dashed = {
        "type": "line",
        "name": gettext("Target path"),
        "data": [path.get(y) for y in span],
        "connectNulls": True,
        "lineStyle": {"type": "dashed"},
    }
    marked = {"type": "scatter", "name": gettext("Targets"), "symbolSize": 12, "data": [targets.get(y) for y in span]}
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "top": 30, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [str(y) for y in span]},
        "yAxis": {"type": "value", "scale": True, "name": axis},
        "series": [
            *([dashed] if path else []),
            {"type": "line", "name": gettext("Accepted figures"), "data": [accepted.get(y) for y in span]},
            *([marked] if targets else []),
        ],
    }


async def _indicator_page(
    request: Request,
    user: User,
    code: str,
    indicator: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    found = await gather(
        indicator=api.get("evaluation", f"/api/v1/plans/{code}/indicators/{indicator}"),
        plan=api.get("evaluation", f"/api/v1/plans/{code}"),
        departments=api.get("evaluation", "/api/v1/plans/departments"),
    )
    if not found["indicator"].ok:
        return refusal(request, user, gettext("Indicator"), found["indicator"])
    data = found["indicator"].data
    english = locale_of(request) == "en"
    return render(
        request,
        "pages/plan_indicator.html",
        user=user,
        title=data["name_en"] if english else data["name_zh"],
        indicator=data,
        plan=found["plan"].data if found["plan"].ok else None,
        chart=_trajectory(data, gettext, locale_of(request)),
        names=_departments(found["departments"], locale_of(request)),
        target_unit=target_unit,
        key=str(uuid.uuid4()),
        error=error,
        values=values or {},
        status_code=status_code,
    )


@router.get("/plans/{code}/indicators/{indicator}", response_class=HTMLResponse)
async def indicator_page(request: Request, user: CurrentUser, code: str, indicator: str) -> HTMLResponse:
    return await _indicator_page(request, user, code, indicator)


@router.post("/plans/{code}/indicators/{indicator}/report", response_class=HTMLResponse)
async def report(request: Request, user: CurrentUser, code: str, indicator: str, form: CheckedForm) -> Response:
    api = api_for(request, user)
    value = str(form.get("value") or "").strip()
    # Money is typed in 万元, as the form's label says, and counted in fen.
    measured = await api.get("evaluation", f"/api/v1/plans/{code}/indicators/{indicator}")
    if measured.ok and measured.data["unit"] == "fen":
        value = _fen_from_wan(value)
    body: dict[str, Any] = {
        "year": str(form.get("year") or "").strip(),
        "value": value,
        "source": str(form.get("source") or "").strip(),
    }
    for optional in ("note", "correction_reason"):
        text = str(form.get(optional) or "").strip()
        if text:
            body[optional] = text
    answer = await api.post(
        "evaluation",
        f"/api/v1/plans/{code}/indicators/{indicator}/reports",
        body,
        **{"Idempotency-Key": str(form.get("key") or uuid.uuid4())},
    )
    return await _after(request, user, code, indicator, answer, "reported", values={k: str(v) for k, v in form.items()})


@router.post("/plans/{code}/indicators/{indicator}/reports/{report_id}/{decision}", response_class=HTMLResponse)
async def decide(
    request: Request,
    user: CurrentUser,
    code: str,
    indicator: str,
    report_id: uuid.UUID,
    decision: str,
    form: CheckedForm,
) -> Response:
    if decision not in ("accept", "return"):
        return Response(status_code=404)
    body = {"reason": str(form.get("reason") or "").strip()} if decision == "return" else None
    answer = await api_for(request, user).post("evaluation", f"/api/v1/plans/reports/{report_id}/{decision}", body)
    return await _after(request, user, code, indicator, answer, decision)


async def _after(
    request: Request,
    user: User,
    code: str,
    indicator: str,
    answer: Answer,
    done: str,
    values: dict[str, Any] | None = None,
) -> Response:
    """Back to the indicator when the API took it; its page again, with the refusal in words, when not."""
    if answer.ok:
        return RedirectResponse(f"/plans/{code}/indicators/{indicator}?done={done}", status_code=303)
    gettext = i18n.translations(locale_of(request)).gettext
    return await _indicator_page(
        request,
        user,
        code,
        indicator,
        error=problem_text(answer, gettext, locale_of(request)),
        status_code=answer.status if 400 <= answer.status < 500 else 502,
        values=values,
    )
