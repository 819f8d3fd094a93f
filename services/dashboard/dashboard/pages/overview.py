"""The overview: the pipeline, the centers by tier, field and district, the program's targets, and what needs
someone's attention today."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dashboard import i18n
from dashboard.auth import CurrentUser
from dashboard.clients import Answer, gather
from dashboard.settings import SERVICES
from dashboard.web import Names, api_for, district_names, label, locale_of, render

router = APIRouter(include_in_schema=False)
PIPELINE = ("draft", "submitted", "under_review", "reviewed", "decided", "public_notice", "building", "operating")
ENDED = ("rejected", "withdrawn", "cancelled", "delisted")
BUDGET_NEARLY_USED = 0.9  # a share of the year's budget committed past which the overview raises it


def _counts(answer: Answer) -> dict[str, int]:
    return dict((answer.data or {}).get("counts", {})) if answer.ok else {}


def _bar(title: str, names: list[str], values: list[int]) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 16, "top": 10, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [{"type": "bar", "name": title, "data": values, "itemStyle": {"color": "#1f4e8c"}}],
    }


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request, user: CurrentUser) -> HTMLResponse:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    calls = {
        "status": api.get("registry", "/api/v1/centers/stats/counts", by="status"),
        "tier": api.get("registry", "/api/v1/centers/stats/counts", by="tier"),
        "field": api.get("registry", "/api/v1/centers/stats/counts", by="field"),
        "district": api.get("registry", "/api/v1/centers/stats/counts", by="district"),
        "targets": api.get("registry", "/api/v1/program-targets"),
        "deadlines": api.get("registry", "/api/v1/centers/stats/deadlines", within_days=180, limit=50),
        "notices": api.get("registry", "/api/v1/centers", status="public_notice", limit=50),
        "objections": api.get("registry", "/api/v1/centers", status="objection_review", limit=50),
        "reference": api.get("registry", "/api/v1/reference"),
    }
    if user.can("evaluation:read"):
        calls["rounds"] = api.get("evaluation", "/api/v1/rounds", limit=3)
        calls["at_risk"] = api.get("evaluation", "/api/v1/centers-at-risk")
    if user.can("funding:read"):
        calls["budgets"] = api.get("funding", "/api/v1/budgets")
    if user.can("ops:read"):
        for service in SERVICES:
            calls[f"dead:{service}"] = api.get(service, "/api/v1/dead-letters", state="open", limit=100)
    found = await gather(**calls)

    status = _counts(found["status"])
    # A funnel of how far the centers got: each stage counts the centers at it or past it.
    reached = [sum(status.get(later, 0) for later in PIPELINE[index:]) for index in range(len(PIPELINE))]
    funnel = {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "funnel",
                "sort": "none",
                "left": "10%",
                "width": "80%",
                "minSize": "30%",  # wide enough at the tip for its label to fit
                "label": {"show": True, "position": "inside", "formatter": "{b}: {c}"},
                "data": [
                    {"name": label(gettext, "status", stage), "value": count}
                    for stage, count in zip(PIPELINE, reached, strict=True)
                ],
            }
        ],
    }
    names = district_names(found["reference"], locale_of(request))
    readable = Names.of(locale_of(request), reference=found["reference"])
    charts = {}
    for kind in ("tier", "field", "district"):
        counts = _counts(found[kind])
        ordered = sorted(counts.items(), key=lambda item: -item[1])
        shown = [readable.district(code) if kind == "district" else label(gettext, kind, code) for code, _ in ordered]
        charts[kind] = _bar(kind, shown, [count for _, count in ordered])

    # One unqualified result from delisting: the latest unqualified, not yet two in a row.
    at_risk = [
        item
        for item in (found["at_risk"].data or [] if "at_risk" in found and found["at_risk"].ok else [])
        if any(r.get("kind") == "unqualified" and r.get("consecutive_unqualified") == 1 for r in item["reasons"])
    ]
    budgets = [
        budget
        for budget in (found["budgets"].data or [] if "budgets" in found and found["budgets"].ok else [])
        if budget["budget_fen"] and budget["committed_fen"] >= BUDGET_NEARLY_USED * budget["budget_fen"]
    ]
    # A round is due while any of its evaluations is not finalized.
    rounds = found["rounds"].data["items"] if "rounds" in found and found["rounds"].ok else []
    due_rounds = [r for r in rounds if r["progress"]["finalized"] < r["progress"]["total"]]
    dead = {name.split(":")[1]: answer for name, answer in found.items() if name.startswith("dead:")}
    dead_count = sum(len((a.data or {}).get("items", [])) for a in dead.values() if a.ok)
    deadlines = found["deadlines"].data or [] if found["deadlines"].ok else []
    return render(
        request,
        "pages/overview.html",
        user=user,
        title=gettext("Overview"),
        found=found,
        due_rounds=due_rounds,
        status=status,
        stages=[(stage, status.get(stage, 0)) for stage in (*PIPELINE, *ENDED) if stage in status],
        districts=names,
        names=readable,
        live=status.get("building", 0) + status.get("operating", 0),
        in_pipeline=sum(status.get(s, 0) for s in PIPELINE[:6]),
        ended=sum(status.get(s, 0) for s in ENDED),
        funnel=funnel,
        charts=charts,
        at_risk=at_risk,
        budgets=budgets,
        dead=dead,
        dead_count=dead_count,
        deadlines=deadlines,
        passed=[d for d in deadlines if d["status"] == "passed"],
    )
