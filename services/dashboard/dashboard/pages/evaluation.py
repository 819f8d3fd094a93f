"""Evaluation: the annual rounds and their progress, an evaluation's breakdown and milestones, the center's report
form, the expert's scoring form, and finalizing — always after its consequences were shown."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from dashboard import i18n
from dashboard.auth import CheckedForm, CurrentUser, User
from dashboard.clients import Answer, Api, gather
from dashboard.web import LABELS, N_, Names, api_for, label, locale_of, problem_text, refusal, render

router = APIRouter(include_in_schema=False)

# The annual report's figures (money in 万元 on the form, fen in the API), by section, with their names.
REPORT: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "investment",
        N_("Investment (CNY 10,000)"),
        (
            ("lead_unit_fen", N_("Lead unit")),
            ("co_builders_fen", N_("Co-builders")),
            ("municipal_fiscal_fen", N_("Municipal fiscal funds")),
            ("district_fiscal_fen", N_("District fiscal funds")),
            ("national_funds_fen", N_("National funds")),
            ("social_capital_fen", N_("Social capital")),
        ),
    ),
    (
        "team",
        N_("Team (people)"),
        (
            ("total", N_("Total")),
            ("full_time_researchers", N_("Full-time researchers")),
            ("high_level_teams", N_("High-level teams")),
            ("top_talents", N_("Top talents")),
            ("young_talents", N_("Young talents")),
            ("non_rd_staff", N_("Non-R&D staff")),
        ),
    ),
    (
        "projects",
        N_("Major projects"),
        (
            ("national_major", N_("National")),
            ("provincial_major", N_("Provincial")),
            ("municipal_major", N_("Municipal")),
        ),
    ),
    (
        "results",
        N_("Results"),
        (
            ("breakthroughs", N_("Breakthroughs")),
            ("import_substitution", N_("Import substitution")),
            ("standards", N_("Standards")),
            ("patents", N_("Patents")),
        ),
    ),
    (
        "ecosystem",
        N_("Ecosystem"),
        (
            ("bases", N_("Technology-transfer bases")),
            ("close_partners", N_("Close partner enterprises")),
            ("spin_offs", N_("Spin-offs incubated")),
            ("enterprises_served", N_("Enterprises served")),
        ),
    ),
)


def report_of(form: FormData) -> dict[str, Any]:
    """The API's report from the form: an empty figure is not reported; 万元 become fen."""
    report: dict[str, Any] = {}
    for section, _title, figures in REPORT:
        values: dict[str, Any] = {}
        for name, _text in figures:
            raw = str(form.get(f"{section}.{name}") or "").strip()
            if not raw:
                continue
            try:
                number = float(raw)
            except ValueError:
                values[name] = raw  # the API names the field
                continue
            values[name] = round(number * i18n.FEN_PER_WAN) if name.endswith("_fen") else round(number)
        if values:
            report[section] = values
    return report


def _grades_chart(rounds: list[dict[str, Any]], gettext: Any) -> dict[str, Any]:
    grades = list(LABELS["grade"])
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 30, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [str(r["year"]) for r in rounds]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "type": "bar",
                "stack": "grades",
                "name": label(gettext, "grade", grade),
                "data": [r["grade_distribution"].get(grade, 0) for r in rounds],
            }
            for grade in grades
        ],
    }


@router.get("/evaluation", response_class=HTMLResponse)
async def evaluation_home(request: Request, user: CurrentUser, round: str | None = None) -> HTMLResponse:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    calls = {"rounds": api.get("evaluation", "/api/v1/rounds", limit=20)}
    if round:
        calls["evaluations"] = api.get("evaluation", "/api/v1/evaluations", round_id=round, limit=500)
    elif not user.sees_everything:
        # An expert's assignments, a center's own evaluations, a district's: the API scopes the list.
        calls["evaluations"] = api.get("evaluation", "/api/v1/evaluations", limit=200)
    found = await gather(**calls)
    rounds = list(reversed(found["rounds"].data["items"])) if found["rounds"].ok else []
    return render(
        request,
        "pages/evaluation.html",
        user=user,
        title=gettext("Evaluation"),
        found=found,
        rounds=rounds,
        chosen=round,
        chart=_grades_chart(rounds, gettext) if rounds else None,
    )


async def _evaluation(request: Request, user: User, evaluation_id: uuid.UUID) -> dict[str, Answer]:
    api = api_for(request, user)
    calls = {
        "evaluation": api.get("evaluation", f"/api/v1/evaluations/{evaluation_id}"),
        "system": api.get("evaluation", "/api/v1/indicator-systems/ningbo-tic-2022"),
    }
    if user.can("evaluation:write"):
        calls["preview"] = api.get("evaluation", f"/api/v1/evaluations/{evaluation_id}/finalize-preview")
    found = await gather(**calls)
    return found


def _names(system: Answer, locale: str) -> dict[str, str]:
    """First-level indicator code -> its name in the reader's language."""
    if not system.ok:
        return {}
    key = "name_zh" if locale == "zh_CN" else "name_en"
    return {group["code"]: group[key] for group in system.data.get("first_level", [])}


def _first_levels(evaluation: dict[str, Any], gettext: Any, locale: str) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for line in (evaluation.get("result") or {}).get("breakdown", []):
        group = groups.setdefault(
            line["first_level_code"], {"code": line["first_level_code"], "points": 0.0, "weight": 0.0, "lines": []}
        )
        group["points"] += float(line["points"])
        group["weight"] += float(line["weight"])
        group["lines"].append(line)
    return [groups[code] for code in sorted(groups, key=int)]


async def _detail(
    request: Request, user: User, evaluation_id: uuid.UUID, *, refused: Answer | None = None
) -> HTMLResponse:
    """The evaluation's page; with `refused`, the same page again saying in words why the API refused."""
    gettext = i18n.translations(locale_of(request)).gettext
    found = await _evaluation(request, user, evaluation_id)
    if not found["evaluation"].ok:
        return refusal(request, user, gettext("Evaluation"), refused or found["evaluation"], _status(refused))
    evaluation = found["evaluation"].data
    groups = _first_levels(evaluation, gettext, locale_of(request))
    names = _names(found["system"], locale_of(request))
    radar = None
    if groups and refused is None:
        radar = {
            "tooltip": {},
            # Each axis by its first-level indicator's name (the table beside the chart has the same figures).
            "radar": {
                "indicator": [{"name": names.get(g["code"], g["code"]), "max": round(g["weight"], 2)} for g in groups],
                "radius": "62%",
            },
            "series": [
                {
                    "type": "radar",
                    "data": [{"name": str(evaluation["year"]), "value": [round(g["points"], 2) for g in groups]}],
                }
            ],
        }
    mine = [a for a in evaluation["assignments"] if a["expert"] == user.subject]
    return render(
        request,
        "pages/evaluation_detail.html",
        user=user,
        title=gettext("Evaluation %(year)s") % {"year": evaluation["year"]},
        evaluation=evaluation,
        etag=found["evaluation"].headers.get("etag", ""),
        preview=found.get("preview"),
        groups=groups,
        radar=radar,
        report_sections=REPORT,
        first_levels=names,
        assigned_to_me=mine[0]["indicators"] if mine else [],
        message=None if refused else request.query_params.get("done"),
        error=problem_text(refused, gettext, locale_of(request)) if refused else None,
        status_code=_status(refused) or 200,
    )


def _status(refused: Answer | None) -> int | None:
    """A refusal's status for the page: the API's 4xx as it is, anything else a bad gateway."""
    if refused is None:
        return None
    return refused.status if 400 <= refused.status < 500 else 502


@router.get("/evaluation/{evaluation_id}", response_class=HTMLResponse)
async def evaluation_page(request: Request, user: CurrentUser, evaluation_id: uuid.UUID) -> HTMLResponse:
    return await _detail(request, user, evaluation_id)


async def _after(request: Request, user: User, evaluation_id: uuid.UUID, answer: Answer, done: str) -> Response:
    """Back to the evaluation when the API took it; the page again with the refusal in words when not."""
    if answer.ok:
        return RedirectResponse(f"/evaluation/{evaluation_id}?done={done}", status_code=303)
    return await _detail(request, user, evaluation_id, refused=answer)


@router.post("/evaluation/{evaluation_id}/report", response_class=HTMLResponse)
async def file_report(request: Request, user: CurrentUser, evaluation_id: uuid.UUID, form: CheckedForm) -> Response:
    answer = await api_for(request, user).put(
        "evaluation",
        f"/api/v1/evaluations/{evaluation_id}/report",
        report_of(form),
        **{"If-Match": str(form.get("etag") or "*")},
    )
    return await _after(request, user, evaluation_id, answer, "report")


@router.post("/evaluation/{evaluation_id}/scores", response_class=HTMLResponse)
async def score(request: Request, user: CurrentUser, evaluation_id: uuid.UUID, form: CheckedForm) -> Response:
    scores: dict[str, Any] = {}
    for key, value in form.items():
        if key.startswith("score.") and str(value).strip():
            scores[key.removeprefix("score.")] = str(value).strip()
    answer = await api_for(request, user).put(
        "evaluation",
        f"/api/v1/evaluations/{evaluation_id}/scores",
        {"scores": scores},
        **{"If-Match": str(form.get("etag") or "*")},
    )
    return await _after(request, user, evaluation_id, answer, "scores")


@router.post("/evaluation/{evaluation_id}/assign", response_class=HTMLResponse)
async def assign(request: Request, user: CurrentUser, evaluation_id: uuid.UUID, form: CheckedForm) -> Response:
    answer = await api_for(request, user).post(
        "evaluation",
        f"/api/v1/evaluations/{evaluation_id}/assignments",
        {"expert": str(form.get("expert") or "").strip()},
        **{"Idempotency-Key": str(form.get("key") or uuid.uuid4())},
    )
    return await _after(request, user, evaluation_id, answer, "assign")


@router.post("/evaluation/{evaluation_id}/not-submitted", response_class=HTMLResponse)
async def not_submitted(request: Request, user: CurrentUser, evaluation_id: uuid.UUID, form: CheckedForm) -> Response:
    answer = await api_for(request, user).post(
        "evaluation",
        f"/api/v1/evaluations/{evaluation_id}/not-submitted",
        {"reason": str(form.get("reason") or "").strip()},
        **{"If-Match": str(form.get("etag") or "*")},
    )
    return await _after(request, user, evaluation_id, answer, "not_submitted")


@router.post("/evaluation/{evaluation_id}/finalize", response_class=HTMLResponse)
async def finalize(request: Request, user: CurrentUser, evaluation_id: uuid.UUID, form: CheckedForm) -> Response:
    answer = await api_for(request, user).post(
        "evaluation",
        f"/api/v1/evaluations/{evaluation_id}/finalize",
        {"confirm": str(form.get("confirm") or "")},
        **{"If-Match": str(form.get("etag") or "*"), "Idempotency-Key": str(form.get("key") or uuid.uuid4())},
    )
    return await _after(request, user, evaluation_id, answer, "finalize")


@router.post("/evaluation/{evaluation_id}/reopen", response_class=HTMLResponse)
async def reopen(request: Request, user: CurrentUser, evaluation_id: uuid.UUID, form: CheckedForm) -> Response:
    answer = await api_for(request, user).post(
        "evaluation",
        f"/api/v1/evaluations/{evaluation_id}/reopen",
        {"reason": str(form.get("reason") or "").strip()},
        **{"If-Match": str(form.get("etag") or "*")},
    )
    return await _after(request, user, evaluation_id, answer, "reopen")


@router.get("/evaluation/rounds/{round_id}/finalize", response_class=HTMLResponse)
async def round_preview(request: Request, user: CurrentUser, round_id: uuid.UUID) -> HTMLResponse:
    gettext = i18n.translations(locale_of(request)).gettext
    api = api_for(request, user)
    found = await _round_to_finalize(api, round_id)
    return render(
        request,
        "pages/round_finalize.html",
        user=user,
        title=gettext("Finalize the round"),
        found=found,
        names=Names.of(locale_of(request), centers=found["centers"]),
        key=str(uuid.uuid4()),
        error=None,
    )


async def _round_to_finalize(api: Api, round_id: uuid.UUID) -> dict[str, Answer]:
    """The round, what finalizing it would decide, and the centers it names (by name, not by id: up to the
    registry's page of 500, beyond which a center shows its short id)."""
    return await gather(
        round=api.get("evaluation", f"/api/v1/rounds/{round_id}"),
        preview=api.get("evaluation", f"/api/v1/rounds/{round_id}/finalize-preview"),
        centers=api.get("registry", "/api/v1/centers", limit=500),
    )


@router.post("/evaluation/rounds/{round_id}/finalize", response_class=HTMLResponse)
async def round_finalize(request: Request, user: CurrentUser, round_id: uuid.UUID, form: CheckedForm) -> Response:
    gettext = i18n.translations(locale_of(request)).gettext
    api = api_for(request, user)
    answer = await api.post(
        "evaluation",
        f"/api/v1/rounds/{round_id}/finalize",
        {"confirm": str(form.get("confirm") or "")},
        **{"Idempotency-Key": str(form.get("key") or uuid.uuid4())},
    )
    if answer.ok:
        return RedirectResponse(f"/evaluation?round={round_id}&done=finalized", status_code=303)
    found = await _round_to_finalize(api, round_id)
    return render(
        request,
        "pages/round_finalize.html",
        user=user,
        title=gettext("Finalize the round"),
        found=found,
        names=Names.of(locale_of(request), centers=found["centers"]),
        key=str(uuid.uuid4()),
        error=problem_text(answer, gettext, locale_of(request)),
        status_code=answer.status if 400 <= answer.status < 500 else 502,
    )


@router.post("/evaluation/rounds", response_class=HTMLResponse)
async def open_round(request: Request, user: CurrentUser, form: CheckedForm) -> Response:
    gettext = i18n.translations(locale_of(request)).gettext
    year = str(form.get("year") or "").strip()
    answer = await api_for(request, user).post(
        "evaluation",
        "/api/v1/rounds",
        {"year": int(year) if year.isdigit() else year},
        **{"Idempotency-Key": str(form.get("key") or uuid.uuid4())},
    )
    if answer.ok:
        return RedirectResponse(f"/evaluation?round={answer.data['id']}", status_code=303)
    return refusal(request, user, gettext("Open a round"), answer, answer.status if 400 <= answer.status < 500 else 502)
