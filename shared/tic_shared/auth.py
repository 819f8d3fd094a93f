"""Bearer-token authentication: who is calling (`Principal`), with which roles, scopes and row-level reach."""

from __future__ import annotations

import asyncio
import re
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from fastapi import APIRouter, Depends, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.routing import APIRoute
from fastapi.security import OAuth2, SecurityScopes
from fastapi.security.utils import get_authorization_scheme_param

from tic_shared.problems import Forbidden, Unauthorized
from tic_shared.settings import ServiceSettings

SCOPES: dict[str, str] = {
    "registry:read": "Read centers, their history and statistics",
    "registry:write": "Create and edit centers, submit, withdraw, recommend",
    "registry:review": "Review, decide, notice, approve, reject, change tier, cancel, delist",
    "evaluation:read": "Read indicator systems, rounds and evaluations",
    "evaluation:write": "Open rounds, assign experts, finalize and reopen evaluations",
    "evaluation:report": "Submit a center's annual report",
    "evaluation:score": "Score assigned qualitative indicators",
    "funding:read": "Read policies, quotes, grants, ledgers and clawbacks",
    "funding:write": "Calculate grants, set budgets, record clawback repayments",
    "funding:approve": "Approve grants",
    "funding:disburse": "Disburse grants",
    "funding:expenditure": "Record a center's expenditures",
    "notification:read": "Read one's own inbox and delivery logs",
    "notification:manage": "Manage webhook subscriptions, rules and templates",
    "ops:read": "Read dead letters and the event backbone's state",
    "ops:replay": "Replay dead letters",
    "plans:read": "Read plans, their indicators, reported figures and progress",
    "plans:report": "Report the yearly figure of one's own department's plan indicators",
    "plans:accept": "Accept or return reported plan figures",
}

_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)

# Which `alg` header values a key of each kind can verify. A token is checked only with the keys whose kind fits
# its `alg`: PyJWT handed an Ed25519 key for an RS256 token raises a TypeError, not an invalid-token error.
_KEY_ALGORITHMS: tuple[tuple[type, frozenset[str]], ...] = (
    (ed25519.Ed25519PublicKey, frozenset({"EdDSA"})),
    (ed448.Ed448PublicKey, frozenset({"EdDSA"})),
    (rsa.RSAPublicKey, frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})),
    (ec.EllipticCurvePublicKey, frozenset({"ES256", "ES384", "ES512"})),
)


def key_algorithms(key: Any) -> frozenset[str]:
    """The signature algorithms `key` can verify; none for a key of another kind (or a shared secret)."""
    for kind, algorithms in _KEY_ALGORITHMS:
        if isinstance(key, kind):
            return algorithms
    return frozenset()


@cache
def role_scopes() -> dict[str, frozenset[str]]:
    data = tomllib.loads(resources.files("tic_shared").joinpath("data/roles.toml").read_text())
    return {name: frozenset(role["scopes"]) for name, role in data["roles"].items()}


@dataclass(frozen=True)
class Principal:
    """The caller: a person with roles, or a government system with client-credentials scopes."""

    subject: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    district: str | None = None
    center_id: uuid.UUID | None = None
    name: str | None = None
    department: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has_scope(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def sees_everything(self) -> bool:
        """Bureau staff and government systems are not row-limited; districts, centers and experts are."""
        limited = {"district_officer", "center_user", "expert", "department_officer"}
        return not (self.roles & limited)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    roles = frozenset(claims.get("roles") or [])
    granted = set(str(claims.get("scope") or "").split())
    known = role_scopes()
    for role in roles:
        granted |= known.get(role, frozenset())
    center = claims.get("center_id")
    return Principal(
        subject=str(claims["sub"]),
        roles=roles,
        scopes=frozenset(granted),
        district=claims.get("district"),
        center_id=uuid.UUID(center) if center else None,
        name=claims.get("name"),
        department=claims.get("department"),
        claims=claims,
    )


class TokenVerifier:
    """Checks signature, expiry, issuer and audience with configured public keys or a JWKS endpoint."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.algorithms = settings.jwt_algorithms
        self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        # Parsed once: PyJWT would parse a PEM string again on every request.
        self._keys: list[Any] = [
            serialization.load_pem_public_key(block.encode()) for block in _PEM_BLOCK.findall(settings.jwt_public_key)
        ]

    async def verify(self, token: str) -> Principal:
        """The token's principal, or 401: whatever is wrong with a token is the caller's problem, never a 500."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            raise Unauthorized(f"invalid token: the algorithm {algorithm!r} is not accepted")
        keys: list[Any]
        if self._jwks is not None:
            try:
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            except jwt.PyJWTError as exc:
                raise Unauthorized(f"token key not found: {exc}") from exc
            keys = [signing_key.key]
        else:
            keys = self._keys
        keys = [key for key in keys if algorithm in key_algorithms(key)]
        error: Exception | None = None
        for key in keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[algorithm],
                    audience=self.audience,
                    issuer=self.issuer,
                    options={"require": ["exp", "sub", "iss", "aud"]},
                )
                principal = principal_from_claims(claims)
            except jwt.InvalidSignatureError as exc:
                error = exc
                continue
            except jwt.PyJWTError as exc:
                raise Unauthorized(f"invalid token: {exc}") from exc
            except (TypeError, ValueError, AttributeError) as exc:
                # A signed token whose claims are of the wrong shape (a non-UUID center_id, a list for sub).
                raise Unauthorized("invalid token: its claims are malformed") from exc
            return principal
        raise Unauthorized(f"invalid token: {error or 'no key for its algorithm'}")


class VerifiedTokens:
    """Tokens already verified, until they expire (at most `ttl_s`): checking an EdDSA signature costs more than
    the rest of a read, and a console page or a client sends the same token many times. Bounded: when full, the
    oldest half is forgotten."""

    def __init__(self, verifier: TokenVerifier, *, size: int = 10_000, ttl_s: float = 300.0) -> None:
        self.verifier = verifier
        self.size = size
        self.ttl_s = ttl_s
        self._known: dict[str, tuple[Principal, float]] = {}

    async def principal(self, token: str) -> Principal:
        now = time.time()
        known = self._known.get(token)
        if known is not None and known[1] > now:
            return known[0]
        principal = await self.verifier.verify(token)
        expires = float(principal.claims.get("exp", now)) if principal.claims else now
        if len(self._known) >= self.size:
            for stale in list(self._known)[: self.size // 2]:
                del self._known[stale]
        self._known[token] = (principal, min(expires, now + self.ttl_s))
        return principal


bearer = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl="/oauth/token", scopes=SCOPES)),
    scheme_name="bearer",
    description="A JWT from the government identity provider (`tic token` mints one locally).",
    auto_error=False,
)


_PRINCIPAL = "tic.principal"  # where a request keeps its caller once authenticated


async def current_principal(
    security_scopes: SecurityScopes,
    request: Request,
    authorization: Annotated[str | None, Depends(bearer)],
) -> Principal:
    """Authenticate once per request, then check the scopes this route asks for."""
    principal: Principal | None = request.scope.get(_PRINCIPAL)
    if principal is None:
        scheme, token = get_authorization_scheme_param(authorization)
        if not authorization or scheme.lower() != "bearer" or not token:
            raise Unauthorized("a bearer token is required")
        principal = await request.app.state.verified.principal(token)
        request.scope[_PRINCIPAL] = principal
    missing = [scope for scope in security_scopes.scopes if not principal.has_scope(scope)]
    if missing:
        raise Forbidden(f"this action needs the scope {' '.join(missing)}", required_scopes=missing)
    return principal


def scoped(*scopes: str) -> Any:
    """A route parameter's default: the authenticated caller, holding all of `scopes`."""
    return Security(current_principal, scopes=list(scopes))


Authenticated = Security(current_principal)


def require_authentication(router: APIRouter) -> APIRouter:
    """The router, once every route on it is known to name its caller (`scoped(...)` or `Authenticated`).

    Checked when the app is built instead of adding `Authenticated` to the whole router: FastAPI caches a
    dependency per set of scopes, so a router-wide one beside each route's own resolved the caller twice on
    every request. A route that names no caller is a programming error, refused before the app serves."""
    for route in router.routes:
        if isinstance(route, APIRoute) and not _names_caller(route.dependant):
            methods = ",".join(sorted(route.methods or ()))
            raise TypeError(f"{methods} {route.path} does not name its caller: add `scoped(...)` or `Authenticated`")
    return router


def _names_caller(dependant: Dependant) -> bool:
    return dependant.call is current_principal or any(_names_caller(sub) for sub in dependant.dependencies)


def mint_token(
    signing_key_pem: str,
    *,
    subject: str,
    roles: list[str] | None = None,
    scopes: list[str] | None = None,
    district: str | None = None,
    center_id: uuid.UUID | str | None = None,
    name: str | None = None,
    department: str | None = None,
    issuer: str = "tic-dev",
    audience: str = "tic-platform",
    ttl_s: int = 3600,
    algorithm: str = "EdDSA",
) -> str:
    """A signed token, for `tic token`, the demo and the tests. Real tokens come from the identity provider."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl_s}
    if roles:
        claims["roles"] = roles
    if scopes:
        claims["scope"] = " ".join(scopes)
    if district:
        claims["district"] = district
    if center_id:
        claims["center_id"] = str(center_id)
    if department:
        claims["department"] = department
    if name:
        claims["name"] = name
    return jwt.encode(claims, signing_key_pem, algorithm=algorithm)
