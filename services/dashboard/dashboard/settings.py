"""The console's settings (`TIC_DASHBOARD_*`): where the four services are, how people sign in, the session."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tic_shared.settings import Environment, dev_signing_key

SERVICES = ("registry", "evaluation", "funding", "notification")
_DEV_SESSION_SECRET = "development-only-session-secret-change-me"


class DashboardSettings(BaseSettings):
    """Defaults run beside `./tic dev`; production sets the services' URLs, OIDC and a session secret."""

    model_config = SettingsConfigDict(env_prefix="TIC_DASHBOARD_", extra="ignore", populate_by_name=True)

    environment: Environment = Field(default=Environment.DEVELOPMENT, validation_alias="TIC_ENVIRONMENT")
    registry_url: str = "http://127.0.0.1:8101"
    evaluation_url: str = "http://127.0.0.1:8102"
    funding_url: str = "http://127.0.0.1:8103"
    notification_url: str = "http://127.0.0.1:8104"
    api_timeout_s: float = Field(default=10.0, gt=0, description="Each API call of a page; the page waits no longer")

    session_secret: SecretStr = SecretStr(_DEV_SESSION_SECRET)
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    default_locale: str = Field(default="zh_CN", pattern="^(zh_CN|en)$")
    assets_dir: Path | None = Field(
        default=None, description="node_modules with htmx, echarts and axe-core; found beside the package by default"
    )

    # Development sign-in: pick a role, a district, a center; the console mints the token with this key.
    dev_signing_key: SecretStr = Field(default_factory=lambda: SecretStr(dev_signing_key()))
    jwt_issuer: str = Field(default="tic-dev", validation_alias="TIC_JWT_ISSUER")
    jwt_audience: str = Field(default="tic-platform", validation_alias="TIC_JWT_AUDIENCE")

    # Production sign-in: OpenID Connect (authorization code + PKCE) against the government's identity provider.
    oidc_metadata_url: str | None = Field(default=None, description="…/.well-known/openid-configuration")
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scope: str = "openid profile"
    # Which claims of the identity provider say what our roles, district, center and department are.
    oidc_roles_claim: str = "roles"
    oidc_district_claim: str = "district"
    oidc_center_claim: str = "center_id"
    oidc_department_claim: str = "department"
    oidc_name_claim: str = "name"
    # The identity provider's role names, mapped to ours (`gov_admin=bureau_admin,…`); unmapped roles are dropped.
    oidc_role_map: dict[str, str] = Field(default_factory=dict)

    @property
    def dev_sign_in(self) -> bool:
        """A role picker instead of OIDC: never in production."""
        return self.environment is not Environment.PRODUCTION

    def service_url(self, service: str) -> str:
        url: str = getattr(self, f"{service}_url")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _production_needs_its_own_secrets(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if self.session_secret.get_secret_value() == _DEV_SESSION_SECRET:
                raise ValueError("TIC_DASHBOARD_SESSION_SECRET must be set outside development")
            if not (self.oidc_metadata_url and self.oidc_client_id):
                raise ValueError(
                    "production signs people in with OIDC: set TIC_DASHBOARD_OIDC_METADATA_URL and …_CLIENT_ID"
                )
        return self
