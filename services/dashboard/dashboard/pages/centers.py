"""Centers: the list with filters, paging and exports; one center's page with a timeline merged from all four
services; the acts its state allows, each with a confirmation step."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from openpyxl import Workbook

from dashboard import i18n
from dashboard.auth import CheckedForm, CurrentUser, User
from dashboard.clients import Answer, Api, gather
from dashboard.forms import ACTS, Act, body_of
from dashboard.web import LABELS, Formats, api_for, district_names, label, locale_of, problem_text, refusal, render

router = APIRouter(include_in_schema=False)
FILTERS = ("status", "tier", "field", "district", "q")
EXPORT_LIMIT = 10_000  # rows in one export; a register this big is exported per district
EXPORT_COLUMNS = (
    "code",
    "official_name_zh",
    "name_zh",
    "status",
    "tier",
    "field",
    "district",
    "lead_unit_name",
    "lead_unit_credit_code",
    "recommender",
    "approved_on",
    "construction_end",
    "created_at",
    "id",
)


def _filters(request: Request) -> dict[str, str]:
    return {name: value for name in FILTERS if (value := request.query_params.get(name, "").strip())}


@router.get("/centers", response_class=HTMLResponse)
async def list_centers(request: Request, user: CurrentUser, cursor: str | None = None) -> HTMLResponse:
    api = api_for(request, user)
    filters = _filters(request)
    found = await gather(
        centers=api.get("registry", "/api/v1/centers", limit=50, cursor=cursor, **filters),
        reference=api.get("registry", "/api/v1/reference"),
    )
    gettext = i18n.translations(locale_of(request)).gettext
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return render(
        request,
        "pages/centers.html",
        user=user,
        title=gettext("Centers"),
        found=found,
        filters=filters,
        query=query,
        statuses=list(LABELS["status"]),
        tiers=list(LABELS["tier"]),
        fields=list(LABELS["field"]),
        reference=(found["reference"].data or {}) if found["reference"].ok else {},
        district_name=district_names(found["reference"], locale_of(request)),
    )


async def _all_centers(api: Api, filters: dict[str, str]) -> tuple[list[dict[str, Any]], Answer | None]:
    """Every center the person may see under the filters, page after page, up to the export limit."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(rows) < EXPORT_LIMIT:
        answer = await api.get("registry", "/api/v1/centers", limit=500, cursor=cursor, **filters)
        if not answer.ok:
            return rows, answer
        rows.extend(answer.data["items"])
        cursor = answer.data.get("next_cursor")
        if not cursor:
            break
    return rows[:EXPORT_LIMIT], None


def _export_rows(rows: list[dict[str, Any]], gettext: Any) -> list[list[Any]]:
    header = [gettext(name) for name in EXPORT_HEADERS]
    body = [
        [
            label(gettext, column, row.get(column)) if column in ("status", "tier", "field") else row.get(column)
            for column in EXPORT_COLUMNS
        ]
        for row in rows
    ]
    return [header, *body]


EXPORT_HEADERS = (
    "Registry code",
    "Official name",
    "Name applied for",
    "Status",
    "Tier",
    "Field",
    "District",
    "Lead unit",
    "Unified social credit code",
    "Recommended by",
    "Approved on",
    "Construction ends",
    "Created",
    "Record ID",
)


@router.get("/centers/export.{kind}")
async def export_centers(request: Request, user: CurrentUser, kind: str) -> Response:
    if kind not in ("csv", "xlsx"):
        return Response(status_code=404)
    rows, failed = await _all_centers(api_for(request, user), _filters(request))
    gettext = i18n.translations(locale_of(request)).gettext
    if failed is not None:
        return refusal(request, user, gettext("Export"), failed, failed.status if failed.status >= 400 else 502)
    table = _export_rows(rows, gettext)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    if kind == "csv":
        text = io.StringIO()
        csv.writer(text).writerows(table)
        # A byte-order mark, so that Excel opens the Chinese text as UTF-8.
        return Response(
            "\ufeff" + text.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="centers-{stamp}.csv"'},
        )
    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Centers")
    for line in table:
        sheet.append(
            [str(value) if value is not None and not isinstance(value, int | float) else value for value in line]
        )
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="centers-{stamp}.xlsx"'},
    )


@dataclass(frozen=True)
class Moment:
    """One line of a center's timeline, from whichever service knows it."""

    at: str  # ISO date or time, for ordering
    source: str
    title: str
    detail: str = ""


def _timeline(found: dict[str, Answer], gettext: Any, fmt: Any) -> list[Moment]:
    items: list[Moment] = []
    if found["history"].ok:
        for entry in found["history"].data:
            action = entry["action"].split(":")[0]
            outcome = entry["action"].split(":")[1] if ":" in entry["action"] else ""
            # The record's creation is the day it was entered here, not an act of the procedure: a center recorded
            # after the fact (the demo's, an imported one) was approved years before it was entered.
            title = label(gettext, "action", action) if action != "create" else gettext("Entered in the platform")
            if outcome:
                kind = "outcome" if outcome in LABELS["outcome"] else "status"
                title += f" · {label(gettext, kind, outcome)}"
            moved = (
                f"{label(gettext, 'status', entry['from_state'])} → {label(gettext, 'status', entry['to_state'])}"
                if entry.get("from_state") and entry["from_state"] != entry["to_state"]
                else ""
            )
            detail = " · ".join(part for part in (moved, entry.get("reason") or "", entry["actor"]) if part)
            items.append(Moment(entry.get("on") or entry["at"], "registry", title, detail))
    if found.get("evaluations") is not None and found["evaluations"].ok:
        for evaluation in found["evaluations"].data["items"]:
            if evaluation["status"] != "finalized":
                continue
            title = gettext("%(year)s %(kind)s: %(grade)s") % {
                "year": evaluation["year"],
                "kind": label(gettext, "kind", evaluation["kind"]),
                "grade": label(gettext, "grade", evaluation["grade"]),
            }
            detail = gettext("score %(score)s") % {"score": evaluation["score"]}
            items.append(Moment(evaluation["finalized_at"], "evaluation", title, detail))
    if found.get("funding") is not None and found["funding"].ok:
        funding = found["funding"].data
        for grant in funding["grants"]:
            for stamp, what in (
                ("calculated_at", "Calculated"),
                ("approved_at", "Approved"),
                ("disbursed_at", "Disbursed"),
            ):
                if grant.get(stamp):
                    title = gettext("Year %(year)s grant: %(what)s") % {
                        "year": grant["funding_year"],
                        "what": gettext(what),
                    }
                    items.append(Moment(grant[stamp], "funding", title, fmt.money(grant.get("amount_fen"))))
        clawback = funding.get("clawback")
        if clawback:
            title = gettext("Clawback ordered: %(amount)s") % {"amount": fmt.money(clawback["amount_fen"])}
            items.append(
                Moment(clawback["ordered_at"], "funding", title, label(gettext, "clawback_status", clawback["status"]))
            )
    if found.get("ledger") is not None and found["ledger"].ok:
        for entry in found["ledger"].data["items"]:
            if entry["kind"] != "expenditure":
                continue
            flagged = "" if entry.get("compliant") else " · " + gettext("not an allowed use: flagged")
            title = gettext("Expenditure: %(amount)s") % {"amount": fmt.money(entry["amount_fen"])}
            items.append(Moment(entry["occurred_on"], "funding", title, (entry.get("category") or "") + flagged))
    if found.get("deliveries") is not None and found["deliveries"].ok:
        # One line per event told, however many recipients and channels it went to.
        told: dict[str, list[dict[str, Any]]] = {}
        for delivery in found["deliveries"].data["items"]:
            told.setdefault(delivery["event_id"], []).append(delivery)
        for deliveries in told.values():
            first = min(deliveries, key=lambda d: d["created_at"])
            title = gettext("Told: %(event)s") % {"event": label(gettext, "event", first["event_type"].split(".")[2])}
            tally: dict[tuple[str, str], int] = {}
            for delivery in deliveries:
                key = (delivery["channel"], delivery["status"])
                tally[key] = tally.get(key, 0) + 1
            detail = " · ".join(
                f"{label(gettext, 'channel', channel)} {label(gettext, 'delivery_status', status)}"
                + (f" ×{count}" if count > 1 else "")
                for (channel, status), count in sorted(tally.items())
            )
            items.append(Moment(first["created_at"], "notification", title, detail))
    return sorted(items, key=lambda item: item.at, reverse=True)


def _radar(evaluations: Answer | None, gettext: Any) -> dict[str, Any] | None:
    """The latest finalized evaluation's points per first-level indicator, against what each is worth."""
    if evaluations is None or not evaluations.ok:
        return None
    finalized = [e for e in evaluations.data["items"] if e["status"] == "finalized" and e.get("result")]
    if not finalized:
        return None
    latest = finalized[-1]
    groups: dict[str, list[float]] = {}
    for line in latest["result"].get("breakdown", []):
        group = groups.setdefault(line["first_level_code"], [0.0, 0.0])
        group[0] += float(line["points"])
        group[1] += float(line["weight"])
    codes = sorted(groups, key=lambda code: int(code))
    return {
        "title": {"text": gettext("%(year)s, score %(score)s") % latest, "textStyle": {"fontSize": 13}},
        "tooltip": {},
        "radar": {"indicator": [{"name": code, "max": round(groups[code][1], 2)} for code in codes]},
        "series": [
            {"type": "radar", "data": [{"name": str(latest["year"]), "value": [round(groups[c][0], 2) for c in codes]}]}
        ],
    }


def _acts_for(user: User, center: dict[str, Any]) -> list[Act]:
    return [ACTS[name] for name in center["allowed_actions"] if name in ACTS and user.can(ACTS[name].scope)]


@router.get("/centers/{center_id}", response_class=HTMLResponse)
async def center_page(request: Request, user: CurrentUser, center_id: uuid.UUID) -> HTMLResponse:
    api = api_for(request, user)
    cid = str(center_id)
    calls = {
        "center": api.get("registry", f"/api/v1/centers/{cid}"),
        "history": api.get("registry", f"/api/v1/centers/{cid}/history"),
        "objections": api.get("registry", f"/api/v1/centers/{cid}/objections"),
        "reference": api.get("registry", "/api/v1/reference"),
    }
    if user.can("evaluation:read"):
        calls["evaluations"] = api.get("evaluation", f"/api/v1/centers/{cid}/evaluations", limit=50)
    if user.can("funding:read"):
        calls["funding"] = api.get("funding", f"/api/v1/centers/{cid}/funding")
        calls["ledger"] = api.get("funding", f"/api/v1/centers/{cid}/ledger", limit=200)
    if user.sees_everything:
        calls["deliveries"] = api.get("notification", "/api/v1/deliveries", center_id=cid, limit=100)
    found = await gather(**calls)
    gettext = i18n.translations(locale_of(request)).gettext
    if not found["center"].ok:
        return refusal(request, user, gettext("Center"), found["center"])
    center = found["center"].data
    fmt = Formats(locale_of(request))
    milestones = []
    if found.get("evaluations") is not None and found["evaluations"].ok:
        for evaluation in found["evaluations"].data["items"]:
            for check in (evaluation.get("result") or {}).get("milestones", []):
                milestones.append({"year": evaluation["year"], **check})
    return render(
        request,
        "pages/center.html",
        user=user,
        title=center.get("official_name_zh") or center["name_zh"],
        center=center,
        found=found,
        timeline=_timeline(found, gettext, fmt),
        radar=_radar(found.get("evaluations"), gettext),
        milestones=milestones,
        acts=_acts_for(user, center),
        districts=district_names(found["reference"], locale_of(request)),
        unavailable=[
            answer
            for key in ("evaluations", "funding", "ledger", "deliveries")
            if (answer := found.get(key)) is not None and not answer.ok and answer.status != 404
        ],
    )


@router.get("/centers/{center_id}/act/{action}", response_class=HTMLResponse)
async def act_form(request: Request, user: CurrentUser, center_id: uuid.UUID, action: str) -> HTMLResponse:
    """The confirmation step of an act: what it does, the facts it needs, the version it will act on."""
    api = api_for(request, user)
    found = await gather(
        center=api.get("registry", f"/api/v1/centers/{center_id}"),
        objections=api.get("registry", f"/api/v1/centers/{center_id}/objections"),
    )
    gettext = i18n.translations(locale_of(request)).gettext
    act = ACTS.get(action)
    if act is None or not found["center"].ok:
        return render(
            request,
            "pages/message.html",
            user=user,
            title=gettext("Center"),
            message=problem_text(found["center"], gettext, locale_of(request))
            if not found["center"].ok
            else gettext("Unknown act"),
            status_code=404,
        )
    return render(
        request,
        "pages/act.html",
        user=user,
        title=label(gettext, "action", action),
        center=found["center"].data,
        act=act,
        etag=found["center"].headers.get("etag", ""),
        idempotency_key=str(uuid.uuid4()),
        objections=[o for o in (found["objections"].data or []) if o["status"] == "open"]
        if found["objections"].ok
        else [],
        values={},
        error=None,
    )


@router.post("/centers/{center_id}/act/{action}", response_class=HTMLResponse)
async def act(request: Request, user: CurrentUser, center_id: uuid.UUID, action: str, form: CheckedForm) -> Response:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    chosen = ACTS.get(action)
    if chosen is None:
        return Response(status_code=404)
    body, path = body_of(chosen, form)
    answer = await api.call(
        "registry",
        "POST",
        f"/api/v1/centers/{center_id}/{path}",
        json=body,
        headers={
            "If-Match": str(form.get("etag") or "*"),
            "Idempotency-Key": str(form.get("idempotency_key") or uuid.uuid4()),
        },
    )
    if answer.ok:
        return RedirectResponse(f"/centers/{center_id}?done={action}", status_code=303)
    current = await api.get("registry", f"/api/v1/centers/{center_id}")
    return render(
        request,
        "pages/act.html",
        user=user,
        title=label(gettext, "action", action),
        center=current.data if current.ok else {"id": str(center_id), "name_zh": "", "allowed_actions": []},
        act=chosen,
        etag=str(form.get("etag") or ""),
        idempotency_key=str(uuid.uuid4()),
        objections=[],
        values=dict(form),
        error=problem_text(answer, gettext, locale_of(request)),
        status_code=answer.status if 400 <= answer.status < 500 else 502,
    )
