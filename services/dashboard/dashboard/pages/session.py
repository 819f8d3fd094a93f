"""Signing in and out, and the language switch."""

from __future__ import annotations

import warnings
from typing import Any

# authlib's Starlette client imports its httpx integration, which announces a rename (to httpx2) on every import
# and forces that warning on (so a filter cannot silence it; recording it away can): it is about authlib's future,
# not about anything this console can change.
with warnings.catch_warnings(record=True):
    from authlib.integrations.starlette_client import OAuth

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dashboard import i18n
from dashboard.auth import SESSION_USER, CheckedForm, User, dev_user, user_from_claims
from dashboard.clients import Api, gather
from dashboard.settings import DashboardSettings
from dashboard.web import LOCALE_COOKIE, SECTIONS, locale_of, render
from tic_shared.auth import mint_token

router = APIRouter(include_in_schema=False)
ROLE_CHOICES = ("bureau_admin", "bureau_reviewer", "district_officer", "center_user", "expert", "department_officer")


def _safe_next(target: str | None) -> str:
    """Only a path of this console: a sign-in never sends anyone elsewhere."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _landing(user: User, target: str) -> str:
    """Where a person lands after signing in: where they were going, unless that is the overview and their role
    cannot see it (an expert); then the first part of the console that is theirs."""
    if target != "/":
        return target
    for section in SECTIONS:
        if any(user.can(scope) for scope in section.scopes):
            return section.path
    return target


def _oauth(request: Request) -> Any:
    """The identity provider's client, registered once per app."""
    app = request.app
    if getattr(app.state, "oauth", None) is None:
        settings: DashboardSettings = app.state.settings
        oauth = OAuth()
        oauth.register(
            name="gov",
            server_metadata_url=settings.oidc_metadata_url,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None,
            client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
        )
        app.state.oauth = oauth
    return app.state.oauth.gov


def _picker_api(request: Request) -> Api:
    """Development only: a short-lived bureau token to list the districts and centers to pick from."""
    settings: DashboardSettings = request.app.state.settings
    token = mint_token(
        settings.dev_signing_key.get_secret_value(),
        subject="console-sign-in",
        roles=["bureau_reviewer"],
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_s=60,
    )
    return Api(request.app.state.clients, token)


@router.get("/signin", response_class=HTMLResponse)
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    settings: DashboardSettings = request.app.state.settings
    if not settings.dev_sign_in:
        redirect_uri = str(request.url_for("oidc_callback"))
        request.session["next"] = _safe_next(next)
        response: Response = await _oauth(request).authorize_redirect(request, redirect_uri)
        return response
    api = _picker_api(request)
    found = await gather(
        reference=api.get("registry", "/api/v1/reference"),
        centers=api.get("registry", "/api/v1/centers", status=["building", "operating"], limit=200),
        departments=api.get("evaluation", "/api/v1/plans/departments"),
    )
    gettext = i18n.translations(locale_of(request)).gettext
    return render(
        request,
        "pages/signin.html",
        user=None,
        title=gettext("Sign in"),
        roles=ROLE_CHOICES,
        reference=(found["reference"].data or {}) if found["reference"].ok else {},
        centers=(found["centers"].data or {}).get("items", []) if found["centers"].ok else [],
        departments=found["departments"].data if found["departments"].ok else [],
        registry_down=not found["reference"].ok,
        next=_safe_next(next),
    )


@router.post("/signin")
async def sign_in(request: Request, form: CheckedForm) -> Response:
    settings: DashboardSettings = request.app.state.settings
    if not settings.dev_sign_in:
        return Response(status_code=404)
    role = str(form.get("role") or "")
    if role not in ROLE_CHOICES:
        return RedirectResponse("/signin", status_code=303)
    user = dev_user(
        role=role,
        district=str(form.get("district") or "") or None,
        center_id=str(form.get("center_id") or "") or None,
        department=str(form.get("department") or "") or None,
        signing_key=settings.dev_signing_key.get_secret_value(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_s=settings.session_max_age_s,
    )
    request.session.clear()
    request.session[SESSION_USER] = user.as_session()
    return RedirectResponse(_landing(user, _safe_next(str(form.get("next") or "/"))), status_code=303)


@router.get("/signin/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    settings: DashboardSettings = request.app.state.settings
    token = await _oauth(request).authorize_access_token(request)
    claims = dict(token.get("userinfo") or {})
    user = user_from_claims(claims, str(token["access_token"]), settings)
    target = _landing(user, _safe_next(request.session.get("next")))
    request.session.clear()
    request.session[SESSION_USER] = user.as_session()
    return RedirectResponse(target, status_code=303)


@router.post("/signout")
async def sign_out(request: Request, _: CheckedForm) -> Response:
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)


@router.get("/lang/{locale}")
async def switch_language(locale: str, request: Request, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if locale in i18n.LOCALES:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
