"""A new application: the lead unit (its credit code checked as it is typed), the plan's seven sections, the
responsibility letter's targets; then the center's page takes it through the lifecycle act by act."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from dashboard import i18n
from dashboard.auth import CheckedForm, CurrentUser
from dashboard.clients import gather
from dashboard.web import LABELS, api_for, locale_of, problem_text, render

router = APIRouter(include_in_schema=False)
ORIGINS = ("recommended", "municipal_initiative")
LEAD_UNIT_TYPES = ("enterprise", "university", "research_institute", "other")


def _text(form: FormData, name: str) -> str | None:
    value = str(form.get(name) or "").strip()
    return value or None


def _whole(form: FormData, name: str, scale: int = 1) -> int | None:
    value = _text(form, name)
    if value is None:
        return None
    try:
        return round(float(value) * scale)
    except ValueError:
        return None


def application_of(form: FormData, outline: list[dict[str, Any]]) -> dict[str, Any]:
    """The registry's CenterCreate from the form: empty fields left out, money entered in 万元 sent as fen."""
    body: dict[str, Any] = {
        "name_zh": _text(form, "name_zh"),
        "name_en": _text(form, "name_en"),
        "tier": _text(form, "tier") or "municipal_tic",
        "origin": _text(form, "origin"),
        "recommender": _text(form, "recommender"),
        "field": _text(form, "field"),
        "industrial_chain": _text(form, "industrial_chain"),
        "district": _text(form, "district"),
        "lead_unit": {
            "name": _text(form, "lead_name"),
            "credit_code": (_text(form, "lead_credit_code") or "").upper(),
            "type": _text(form, "lead_type"),
        },
        "independent_legal_person": form.get("independent_legal_person") == "yes",
    }
    contact = {k: _text(form, f"contact_{k}") for k in ("name", "email", "phone", "role")}
    if contact["name"]:
        body["contacts"] = [{k: v for k, v in contact.items() if v} | {"role": contact["role"] or "联系人"}]
    plan = [
        {"code": section["code"], "text": text}
        for section in outline
        if (text := _text(form, f"plan_{section['code']}"))
    ]
    if plan:
        body["plan"] = plan
    targets: dict[str, Any] = {}
    for when in ("year_2", "year_5"):
        figures = {
            "investment_fen": _whole(form, f"{when}_investment_wan", 1_000_000),  # 1 万元 = 1,000,000 fen
            "team": _whole(form, f"{when}_team"),
            "high_level_teams": _whole(form, f"{when}_teams"),
        }
        if all(value is not None for value in figures.values()):
            targets[when] = figures
    if targets:
        body["targets"] = targets
    return {k: v for k, v in body.items() if v is not None}


async def _reference(request: Request, user: Any) -> dict[str, Any]:
    answer = await api_for(request, user).get("registry", "/api/v1/reference")
    return answer.data if answer.ok else {}


@router.get("/applications/new", response_class=HTMLResponse)
async def new_application(request: Request, user: CurrentUser) -> HTMLResponse:
    gettext = i18n.translations(locale_of(request)).gettext
    reference = await _reference(request, user)
    return render(
        request,
        "pages/application.html",
        user=user,
        title=gettext("New application"),
        reference=reference,
        values={"district": user.district or ""},
        origins=ORIGINS,
        lead_unit_types=LEAD_UNIT_TYPES,
        tiers=list(LABELS["tier"]),
        error=None,
        key=str(uuid.uuid4()),
    )


@router.post("/applications/new", response_class=HTMLResponse)
async def create_application(request: Request, user: CurrentUser, form: CheckedForm) -> Response:
    gettext = i18n.translations(locale_of(request)).gettext
    reference = await _reference(request, user)
    body = application_of(form, reference.get("plan_outline", []))
    answer = await api_for(request, user).call(
        "registry",
        "POST",
        "/api/v1/centers",
        json=body,
        headers={"Idempotency-Key": str(form.get("key") or uuid.uuid4())},
    )
    if answer.ok:
        return RedirectResponse(f"/centers/{answer.data['id']}?done=create", status_code=303)
    return render(
        request,
        "pages/application.html",
        user=user,
        title=gettext("New application"),
        reference=reference,
        values=dict(form),
        origins=ORIGINS,
        lead_unit_types=LEAD_UNIT_TYPES,
        tiers=list(LABELS["tier"]),
        error=problem_text(answer, gettext, locale_of(request)),
        key=str(uuid.uuid4()),
        status_code=answer.status if 400 <= answer.status < 500 else 502,
    )


@router.get("/applications/credit-code", response_class=HTMLResponse)
async def credit_code_check(request: Request, user: CurrentUser, lead_credit_code: str = "") -> HTMLResponse:
    """The verdict on the code typed so far (htmx swaps it in beside the field)."""
    code = lead_credit_code.strip().upper()
    verdict = None
    if code:
        found = await gather(check=api_for(request, user).get("registry", f"/api/v1/reference/credit-codes/{code}"))
        verdict = found["check"]
    return render(request, "pages/credit_code.html", user=user, code=code, verdict=verdict)
