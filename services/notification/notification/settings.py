"""The notification service's own settings (`TIC_*`): SMTP, webhook delivery and the delivery worker."""

from __future__ import annotations

from typing import Self

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator, model_validator

from notification.domain.sealing import DEV_KEY, SecretBox
from tic_shared.settings import Environment, ServiceSettings


class NotificationSettings(ServiceSettings):
    """Email is off until `TIC_SMTP_HOST` is set: deliveries are then logged as `skipped`, never retried."""

    smtp_host: str | None = Field(default=None, description="No host: the email channel is disabled.")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_from: str = "TIC Platform <noreply@tic.example.gov.cn>"
    smtp_timeout_s: float = Field(default=10.0, gt=0)

    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_allow_http: bool | None = Field(
        default=None, description="Plain-http webhook URLs; by default allowed outside production only."
    )

    webhook_allow_private_addresses: bool | None = Field(
        default=None,
        description="Webhook URLs on loopback, private or link-local addresses; by default outside production only.",
    )
    delivery_max_attempts: int = Field(default=8, ge=1, description="Attempts before a delivery is dead-lettered.")
    delivery_retry_base_s: float = Field(default=2.0, gt=0, description="First retry delay; doubles each time.")
    delivery_retry_max_s: float = Field(
        default=60.0, gt=0, description="The cap of the retry delay: a receiver back is tried within this long."
    )
    delivery_pause_after_s: float = Field(
        default=3 * 86_400.0,
        gt=0,
        description="A webhook subscription whose endpoint has failed continuously this long is paused.",
    )
    delivery_pause_warning_s: float = Field(
        default=86_400.0, ge=0, description="How long before pausing its owner is told it will be paused."
    )
    webhook_hold_while_down: bool = Field(
        default=True,
        description="While an endpoint fails every delivery (no success since a delivery was made), its deliveries "
        "keep retrying until the subscription pauses, instead of being dead-lettered after delivery_max_attempts.",
    )
    delivery_batch_size: int = Field(default=100, ge=1)
    delivery_concurrency: int = Field(default=32, ge=1)
    delivery_poll_interval_s: float = Field(default=1.0, gt=0)
    delivery_worker_enabled: bool = True
    delivery_due_watch_interval_s: float = Field(
        default=15.0, gt=0, description="How often the app reads how long due deliveries have waited for a worker."
    )

    default_locale: str = Field(default="zh", pattern="^(zh|en)$")

    webhook_secret_key: SecretStr = Field(
        default=SecretStr(DEV_KEY),
        description="Fernet key (32 url-safe base64 bytes) sealing webhook secrets at rest; from a Secret.",
    )

    @field_validator("webhook_secret_key")
    @classmethod
    def _a_fernet_key(cls, value: SecretStr) -> SecretStr:
        try:
            Fernet(value.get_secret_value().encode())
        except ValueError as exc:
            raise ValueError("TIC_WEBHOOK_SECRET_KEY is not a Fernet key (32 url-safe base64-encoded bytes)") from exc
        return value

    @model_validator(mode="after")
    def _no_dev_key_in_production(self) -> Self:
        if self.environment is Environment.PRODUCTION and self.webhook_secret_key.get_secret_value() == DEV_KEY:
            raise ValueError("TIC_WEBHOOK_SECRET_KEY is the built-in development key; set a key of your own")
        return self

    @property
    def secret_box(self) -> SecretBox:
        return SecretBox(self.webhook_secret_key.get_secret_value())

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def private_webhooks_allowed(self) -> bool:
        if self.webhook_allow_private_addresses is not None:
            return self.webhook_allow_private_addresses
        return self.environment != "production"

    @property
    def http_webhooks_allowed(self) -> bool:
        if self.webhook_allow_http is not None:
            return self.webhook_allow_http
        return self.environment != "production"

    @classmethod
    def coerce(cls, settings: ServiceSettings | None) -> NotificationSettings:
        """Ours as given, or a plain `ServiceSettings` (the test harness builds those) widened to ours."""
        if isinstance(settings, NotificationSettings):
            return settings
        if settings is None:
            return cls.for_service("notification")
        return cls(**settings.model_dump())
