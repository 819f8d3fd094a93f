"""Who is signed in: production through OpenID Connect (authorization code + PKCE, authlib), development through
a role picker that mints a development token. The session is a signed, HttpOnly, SameSite cookie; every form carries
a CSRF token the session knows."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from tic_shared.auth import mint_token, role_scopes

ROLES = ("bureau_admin", "bureau_reviewer", "district_officer", "center_user", "expert", "department_officer")
SESSION_USER = "user"
SESSION_CSRF = "csrf"


class SignInRequired(Exception):
    """No one is signed in: the page sends them to the sign-in page, then back."""


class CsrfRefused(Exception):
    """A form without the session's CSRF token: refused before anything is done."""


@dataclass(frozen=True)
class User:
    """The signed-in person, as the console shows them; `token` is what the APIs see."""

    subject: str
    token: str
    name: str = ""
    roles: tuple[str, ...] = ()
    district: str | None = None
    center_id: str | None = None
    department: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def can(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def sees_everything(self) -> bool:
        return self.has("bureau_admin") or self.has("bureau_reviewer")

    def as_session(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "token": self.token,
            "name": self.name,
            "roles": list(self.roles),
            "district": self.district,
            "center_id": self.center_id,
            "department": self.department,
        }

    @classmethod
    def from_session(cls, data: dict[str, Any]) -> User:
        roles = tuple(data.get("roles") or ())
        return cls(
            subject=data["subject"],
            token=data["token"],
            name=data.get("name") or "",
            roles=roles,
            district=data.get("district"),
            center_id=data.get("center_id"),
            department=data.get("department"),
            scopes=scopes_of(roles),
        )


def scopes_of(roles: tuple[str, ...]) -> frozenset[str]:
    known = role_scopes()
    return frozenset(scope for role in roles for scope in known.get(role, frozenset()))


def dev_user(
    *,
    role: str,
    district: str | None,
    center_id: str | None,
    signing_key: str,
    issuer: str,
    audience: str,
    ttl_s: int,
    department: str | None = None,
) -> User:
    """The person a developer picked, with a token the services trust in development."""
    department = department if role == "department_officer" else None
    subject = (
        f"dev-{role}"
        + (f"-{district}" if district else "")
        + (f"-{center_id[:8]}" if center_id else "")
        + (f"-{department}" if department else "")
    )
    names = {
        "bureau_admin": "市科技局管理员",
        "bureau_reviewer": "市科技局审核员",
        "district_officer": "区县科技部门",
        "center_user": "创新中心联系人",
        "expert": "评审专家",
        "department_officer": "责任部门联络员",
    }
    token = mint_token(
        signing_key,
        subject=subject,
        roles=[role],
        district=district if role == "district_officer" else None,
        center_id=uuid.UUID(center_id) if role == "center_user" and center_id else None,
        department=department,
        name=names.get(role, role),
        issuer=issuer,
        audience=audience,
        ttl_s=ttl_s,
    )
    return User(
        subject=subject,
        token=token,
        name=names.get(role, role),
        roles=(role,),
        district=district if role == "district_officer" else None,
        center_id=center_id if role == "center_user" else None,
        department=department,
        scopes=scopes_of((role,)),
    )


def user_from_claims(claims: dict[str, Any], token: str, settings: Any) -> User:
    """An OIDC sign-in: the identity provider's claims mapped to our roles, district, center and department."""
    raw = claims.get(settings.oidc_roles_claim) or []
    if isinstance(raw, str):
        raw = raw.split()
    mapped = tuple(dict.fromkeys(settings.oidc_role_map.get(role, role) for role in raw))
    roles = tuple(role for role in mapped if role in ROLES)
    return User(
        subject=str(claims.get("sub")),
        token=token,
        name=str(claims.get(settings.oidc_name_claim) or claims.get("sub")),
        roles=roles,
        district=claims.get(settings.oidc_district_claim),
        center_id=claims.get(settings.oidc_center_claim),
        department=claims.get(settings.oidc_department_claim),
        scopes=scopes_of(roles),
    )


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return str(token)


def signed_in(request: Request) -> User:
    data = request.session.get(SESSION_USER)
    if not data:
        raise SignInRequired
    return User.from_session(data)


async def checked_form(request: Request) -> FormData:
    """The posted form, after its CSRF token (field `csrf` or header `X-CSRF-Token`) matched the session's."""
    form = await request.form()
    given = str(form.get("csrf") or request.headers.get("X-CSRF-Token") or "")
    expected = str(request.session.get(SESSION_CSRF) or "")
    if not expected or not hmac.compare_digest(given, expected):
        raise CsrfRefused
    return form


CurrentUser = Annotated[User, Depends(signed_in)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
