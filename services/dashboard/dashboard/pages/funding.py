"""Funding: each year's budget against what is committed and paid, grants and their approval and payment, each
center's cap, ledgers with non-compliant spending flagged, clawbacks, the calculator with its trace, and a
policy variant simulated against the real centers beside the policy in force."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from dashboard import i18n
from dashboard.auth import CheckedForm, CurrentUser
from dashboard.clients import gather
from dashboard.web import Names, api_for, locale_of, problem_text, refusal, render

router = APIRouter(include_in_schema=False)


def _fen_from_wan(raw: Any) -> int | None:
    """An amount typed in 万元 as integer fen (refused, None, when it is not a number)."""
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return int(Decimal(text) * i18n.FEN_PER_WAN)
    except InvalidOperation:
        return None


def _budget_chart(budgets: list[dict[str, Any]], gettext: Any, names: Names) -> dict[str, Any]:
    years = [f"{names.jurisdiction(b['jurisdiction'])} {b['year']}" for b in budgets]
    to_wan = lambda fen: round(fen / i18n.FEN_PER_WAN, 2)  # noqa: E731 - a one-line unit change
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 30, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": years},
        "yAxis": {"type": "value", "name": gettext("CNY 10,000")},
        "series": [
            {"type": "bar", "name": gettext("Budget"), "data": [to_wan(b["budget_fen"]) for b in budgets]},
            {"type": "bar", "name": gettext("Committed"), "data": [to_wan(b["committed_fen"]) for b in budgets]},
            {"type": "bar", "name": gettext("Disbursed"), "data": [to_wan(b["disbursed_fen"]) for b in budgets]},
        ],
    }


@router.get("/funding", response_class=HTMLResponse)
async def funding_home(
    request: Request, user: CurrentUser, status: str | None = None, cursor: str | None = None
) -> HTMLResponse:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    found = await gather(
        budgets=api.get("funding", "/api/v1/budgets"),
        grants=api.get("funding", "/api/v1/grants", status=status, limit=50, cursor=cursor),
        caps=api.get("funding", "/api/v1/caps", limit=50),
        clawbacks=api.get("funding", "/api/v1/clawbacks", limit=50),
        policies=api.get("funding", "/api/v1/policies"),
        centers=api.get("registry", "/api/v1/centers", limit=200),
        reference=api.get("registry", "/api/v1/reference"),
    )
    budgets = (
        sorted(found["budgets"].data or [], key=lambda b: (b["jurisdiction"], b["year"])) if found["budgets"].ok else []
    )
    names = Names.of(
        locale_of(request), reference=found["reference"], centers=found["centers"], policies=found["policies"]
    )
    return render(
        request,
        "pages/funding.html",
        user=user,
        title=gettext("Funding"),
        found=found,
        budgets=budgets,
        chart=_budget_chart(budgets, gettext, names) if budgets else None,
        status=status,
        names=names,
    )


@router.post("/funding/grants/{grant_id}/{step}", response_class=HTMLResponse)
async def grant_step(
    request: Request, user: CurrentUser, grant_id: uuid.UUID, step: str, form: CheckedForm
) -> Response:
    """Calculate, approve or disburse a grant (each scope-checked by the funding service)."""
    if step not in ("calculate", "approve", "disburse"):
        return Response(status_code=404)
    gettext = i18n.translations(locale_of(request)).gettext
    body: dict[str, Any] | None = None
    if step == "calculate":
        body = {"verified_investment_fen": _fen_from_wan(form.get("investment_wan"))}
        if (overlap := _fen_from_wan(form.get("overlap_wan"))) is not None:
            body["overlapping_grant_fen"] = overlap
    answer = await api_for(request, user).call(
        "funding",
        "POST",
        f"/api/v1/grants/{grant_id}/{step}",
        json=body,
        headers={"If-Match": str(form.get("etag") or "*"), "Idempotency-Key": str(form.get("key") or uuid.uuid4())},
    )
    if answer.ok:
        return RedirectResponse(f"/funding/grants/{grant_id}?done={step}", status_code=303)
    return await grant_page(
        request, user, grant_id, error=problem_text(answer, gettext, locale_of(request)), status_code=answer.status
    )


@router.get("/funding/grants/{grant_id}", response_class=HTMLResponse)
async def grant_page(
    request: Request, user: CurrentUser, grant_id: uuid.UUID, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    gettext = i18n.translations(locale_of(request)).gettext
    api = api_for(request, user)
    found = await gather(
        grant=api.get("funding", f"/api/v1/grants/{grant_id}"), policies=api.get("funding", "/api/v1/policies")
    )
    answer = found["grant"]
    if not answer.ok:
        return refusal(request, user, gettext("Grant"), answer)
    center = await api.get("registry", f"/api/v1/centers/{answer.data['center_id']}")
    return render(
        request,
        "pages/grant.html",
        user=user,
        title=gettext("Grant"),
        grant=answer.data,
        names=Names.of(locale_of(request), policies=found["policies"], centers=[center]),
        etag=answer.headers.get("etag", ""),
        key=str(uuid.uuid4()),
        error=error,
        status_code=status_code if 400 <= status_code < 500 else (502 if error else 200),
    )


@router.get("/funding/ledgers/{center_id}", response_class=HTMLResponse)
async def ledger_page(request: Request, user: CurrentUser, center_id: uuid.UUID) -> HTMLResponse:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    found = await gather(
        funding=api.get("funding", f"/api/v1/centers/{center_id}/funding"),
        ledger=api.get("funding", f"/api/v1/centers/{center_id}/ledger", limit=500),
        categories=api.get("funding", "/api/v1/expenditure-categories"),
        center=api.get("registry", f"/api/v1/centers/{center_id}"),
    )
    names = Names.of(locale_of(request), centers=[found["center"]])
    return render(
        request,
        "pages/ledger.html",
        user=user,
        title=gettext("Ledger of %(center)s") % {"center": names.center(center_id)},
        found=found,
        center_id=center_id,
        names=names,
    )


def quote_body(form: FormData, kind: str) -> dict[str, Any]:
    """The quote the form asks for, shaped by the policy's kind as the API wants it."""
    body: dict[str, Any] = {"policy": str(form.get("policy") or ""), "tier": str(form.get("tier") or "municipal_tic")}
    if kind == "one_off_awards":
        body |= {
            "lead_unit_type": str(form.get("lead_unit_type") or "enterprise"),
            "trigger": str(form.get("trigger") or ""),
        }
        return body
    body |= {
        "status": str(form.get("status") or "building"),
        "funding_year": int(str(form.get("funding_year") or "1"))
        if str(form.get("funding_year") or "1").isdigit()
        else 0,
        "verified_investment_fen": _fen_from_wan(form.get("investment_wan")) or 0,
        "granted_so_far_fen": _fen_from_wan(form.get("granted_wan")) or 0,
        "overlapping_grant_fen": _fen_from_wan(form.get("overlap_wan")) or 0,
    }
    if form.get("previous_grade"):
        body["previous_grade"] = str(form.get("previous_grade"))
    return body


@router.get("/funding/calculator", response_class=HTMLResponse)
async def calculator(request: Request, user: CurrentUser) -> HTMLResponse:
    gettext = i18n.translations(locale_of(request)).gettext
    policies = await api_for(request, user).get("funding", "/api/v1/policies")
    return render(
        request,
        "pages/calculator.html",
        user=user,
        title=gettext("Calculator"),
        policies=policies,
        quote=None,
        values={},
    )


@router.post("/funding/calculator", response_class=HTMLResponse)
async def calculate(request: Request, user: CurrentUser, form: CheckedForm) -> HTMLResponse:
    gettext = i18n.translations(locale_of(request)).gettext
    api = api_for(request, user)
    policies = await api.get("funding", "/api/v1/policies")
    kinds = {p["code"]: p["rule_kind"] for p in (policies.data or [])} if policies.ok else {}
    body = quote_body(form, kinds.get(str(form.get("policy") or ""), "capability_investment_share"))
    quote = await api.post("funding", "/api/v1/subsidies/quote", body)
    return render(
        request,
        "pages/calculator.html",
        user=user,
        title=gettext("Calculator"),
        policies=policies,
        quote=quote,
        values=dict(form),
        error=None if quote.ok else problem_text(quote, gettext, locale_of(request)),
    )


@router.post("/funding/simulation", response_class=HTMLResponse)
async def simulate(request: Request, user: CurrentUser, form: CheckedForm) -> HTMLResponse:
    """A variant (a changed rate or cap) run for the real centers beside the policy in force."""
    gettext = i18n.translations(locale_of(request)).gettext
    api = api_for(request, user)
    overrides: dict[str, Any] = {
        name: value
        for name in ("rate", "first_year_cap_fen", "total_cap_fen")
        if (value := str(form.get(f"override_{name}") or "").strip())
    }
    for name in ("first_year_cap_fen", "total_cap_fen"):
        if name in overrides:
            overrides[name] = _fen_from_wan(overrides[name])  # typed in 万元
    body: dict[str, Any] = {"policy": str(form.get("policy") or ""), "overrides": overrides}
    if (investment := _fen_from_wan(form.get("assumed_investment_wan"))) is not None:
        body["assumed_investment_fen"] = investment
    found = await gather(
        result=api.post("funding", "/api/v1/simulations", body), policies=api.get("funding", "/api/v1/policies")
    )
    return render(
        request,
        "pages/calculator.html",
        user=user,
        title=gettext("Calculator"),
        policies=found["policies"],
        quote=None,
        simulation=found["result"],
        values=dict(form),
        error=None if found["result"].ok else problem_text(found["result"], gettext, locale_of(request)),
    )
