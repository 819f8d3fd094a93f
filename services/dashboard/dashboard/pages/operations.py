"""Operations: each service's outbox and NATS link, dead letters (replayable), the delivery log (a failed delivery
replayable), webhook subscriptions (paused and resumed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dashboard import i18n
from dashboard.auth import CheckedForm, CurrentUser, User
from dashboard.clients import Answer, gather
from dashboard.settings import SERVICES
from dashboard.web import Names, api_for, event_pattern, locale_of, problem_text, render

router = APIRouter(include_in_schema=False)
_CENTERS_NAMED = 25  # a page of the delivery log names at most this many centers; any further one reads as its id


@router.get("/operations", response_class=HTMLResponse)
async def operations(
    request: Request, user: CurrentUser, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    api = api_for(request, user)
    gettext = i18n.translations(locale_of(request)).gettext
    calls = {}
    for service in SERVICES:
        calls[f"outbox:{service}"] = api.get(service, "/api/v1/outbox")
        calls[f"dead:{service}"] = api.get(service, "/api/v1/dead-letters", state="open", limit=50)
    calls["deliveries"] = api.get(
        "notification", "/api/v1/deliveries", limit=50, status=request.query_params.get("delivery_status")
    )
    calls["subscriptions"] = api.get("notification", "/api/v1/subscriptions", limit=100)
    calls["reference"] = api.get("registry", "/api/v1/reference")
    calls["departments"] = api.get("evaluation", "/api/v1/plans/departments")
    found = await gather(**calls)
    deliveries = found["deliveries"].data.get("items", []) if found["deliveries"].ok else []
    centers = await gather(
        **{c: api.get("registry", f"/api/v1/centers/{c}") for c in _centers_in(d["recipient"] for d in deliveries)}
    )
    names = Names.of(
        locale_of(request),
        reference=found["reference"],
        centers=centers.values(),
        departments=found["departments"],
        subscriptions=found["subscriptions"],
    )
    return render(
        request,
        "pages/operations.html",
        user=user,
        title=gettext("Operations"),
        services=SERVICES,
        found=found,
        recipient=lambda key: names.recipient(gettext, key),
        event_pattern=lambda pattern: event_pattern(gettext, pattern),
        done=request.query_params.get("done"),
        error=error,
        status_code=status_code,
    )


def _centers_in(recipients: Iterable[str]) -> list[str]:
    """The centers inbox audiences are narrowed to (`role:center_user/center:<id>`), each once."""
    found = (
        part.removeprefix("center:") for key in recipients for part in key.split("/") if part.startswith("center:")
    )
    return list(dict.fromkeys(found))[:_CENTERS_NAMED]


async def _redirect_or_page(request: Request, user: User, answer: Answer, done: str) -> Response:
    if answer.ok:
        return RedirectResponse(f"/operations?done={done}", status_code=303)
    gettext = i18n.translations(locale_of(request)).gettext
    return await operations(
        request,
        user,
        error=problem_text(answer, gettext, locale_of(request)),
        status_code=answer.status if 400 <= answer.status < 500 else 502,
    )


@router.post("/operations/dead-letters/{service}/{dead_letter_id}/replay", response_class=HTMLResponse)
async def replay_dead_letter(
    request: Request, user: CurrentUser, service: str, dead_letter_id: int, form: CheckedForm
) -> Response:
    if service not in SERVICES:
        return Response(status_code=404)
    answer = await api_for(request, user).post(
        service,
        f"/api/v1/dead-letters/{dead_letter_id}/replay",
        **{"Idempotency-Key": str(form.get("key") or uuid.uuid4())},
    )
    return await _redirect_or_page(request, user, answer, "replayed")


@router.post("/operations/deliveries/{delivery_id}/replay", response_class=HTMLResponse)
async def replay_delivery(request: Request, user: CurrentUser, delivery_id: uuid.UUID, form: CheckedForm) -> Response:
    answer = await api_for(request, user).post(
        "notification",
        f"/api/v1/deliveries/{delivery_id}/replay",
        **{"Idempotency-Key": str(form.get("key") or uuid.uuid4())},
    )
    return await _redirect_or_page(request, user, answer, "delivery_replayed")


@router.post("/operations/subscriptions/{subscription_id}/{state}", response_class=HTMLResponse)
async def set_subscription(
    request: Request, user: CurrentUser, subscription_id: uuid.UUID, state: str, form: CheckedForm
) -> Response:
    if state not in ("active", "paused"):
        return Response(status_code=404)
    answer = await api_for(request, user).call(
        "notification",
        "PATCH",
        f"/api/v1/subscriptions/{subscription_id}",
        json={"status": state},
        headers={"If-Match": str(form.get("etag") or "*")},
    )
    return await _redirect_or_page(request, user, answer, state)
