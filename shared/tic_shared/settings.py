"""Settings every service shares: read from `TIC_*` environment variables, refusing dev secrets in production."""

from __future__ import annotations

import os
from enum import StrEnum
from importlib import resources
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def dev_public_key() -> str:
    return resources.files("tic_shared").joinpath("devkeys/dev-public-key.pem").read_text()


def dev_signing_key() -> str:
    return resources.files("tic_shared").joinpath("devkeys/dev-signing-key.pem").read_text()


class ServiceSettings(BaseSettings):
    """What one service needs to run. Defaults run locally; production must set its own keys."""

    model_config = SettingsConfigDict(env_prefix="TIC_", extra="ignore")

    service: str = Field(default="", description="The service's name; also its Postgres schema.")
    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    database_pool_size: int = Field(default=10, ge=1)
    nats_url: str = "nats://127.0.0.1:4222"
    nats_connect_timeout_s: float = Field(default=2.0, gt=0)
    # NATS lets a service publish only its own subjects, so it must know who is connecting (issue 12).
    nats_user: str | None = Field(default=None, description="The service's NATS user; from a Secret")
    nats_password: SecretStr | None = Field(default=None, description="Its password; from a Secret")
    nats_tls_ca_file: str | None = Field(default=None, description="PEM CA bundle that signed the NATS server")
    nats_tls_cert_file: str | None = Field(default=None, description="Client certificate (PEM), for mutual TLS")
    nats_tls_key_file: str | None = Field(default=None, description="The client certificate's key (PEM)")

    jwt_public_key: str = Field(default_factory=dev_public_key, description="PEM; or use jwks_url.")
    jwks_url: str | None = None
    jwt_issuer: str = "tic-dev"
    jwt_audience: str = "tic-platform"
    jwt_algorithms: list[str] = ["EdDSA", "RS256", "ES256"]

    max_request_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="A larger request body is refused with 413 before it is read"
    )

    log_level: str = "INFO"
    log_json: bool = True

    # The event backbone.
    relay_batch_size: int = Field(default=200, ge=1)
    relay_poll_interval_s: float = Field(default=1.0, gt=0)
    relay_max_backoff_s: float = Field(default=30.0, gt=0)
    outbox_retention_days: int = Field(default=7, ge=1, description="How long published events stay in the outbox")
    consumer_batch_size: int = Field(default=100, ge=1)
    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_retry_delays_s: list[float] = Field(
        default=[0.5, 2.0, 5.0, 15.0], description="The delay before the 2nd, 3rd, … attempt of a failed event"
    )
    consumer_ack_wait_s: float = Field(
        default=10.0, gt=0, description="Redelivery after a crash; a slow batch is kept alive by in-progress acks"
    )
    consumer_handler_timeout_s: float = Field(default=25.0, gt=0, description="How long one handler may take")
    consumer_fetch_timeout_s: float = Field(default=1.0, gt=0, description="How long one pull request waits")
    consumer_max_ack_pending: int = Field(default=2000, ge=1)
    stream_duplicate_window_s: float = Field(default=600.0, gt=0)
    stream_replicas: int = Field(
        default=1,
        ge=1,
        le=5,
        description="Copies of each JetStream stream (and its consumers) in a NATS cluster: 1 on one node, 3 in "
        "production so losing a node loses no events; more than the cluster's nodes is refused at start",
    )
    stream_max_age_days: int = Field(default=3650, ge=1)

    @model_validator(mode="after")
    def _refuse_dev_secrets_outside_development(self) -> Self:
        uses_dev_key = self.jwks_url is None and self.jwt_public_key.strip() == dev_public_key().strip()
        if self.environment is not Environment.DEVELOPMENT and uses_dev_key:
            raise ValueError(
                "TIC_JWT_PUBLIC_KEY is the built-in development key; "
                "set a real public key or TIC_JWKS_URL outside development"
            )
        if bool(self.nats_tls_cert_file) != bool(self.nats_tls_key_file):
            raise ValueError("TIC_NATS_TLS_CERT_FILE and TIC_NATS_TLS_KEY_FILE go together")
        return self

    @property
    def schema_name(self) -> str:
        return self.service

    @classmethod
    def for_service(cls, service: str, **overrides: object) -> Self:
        """Settings for one service: `TIC_<SERVICE>_DATABASE_URL` wins over `TIC_DATABASE_URL`."""
        specific = os.environ.get(f"TIC_{service.upper()}_DATABASE_URL")
        if specific and "database_url" not in overrides:
            overrides["database_url"] = specific
        return cls(service=service, **overrides)  # type: ignore[arg-type]
