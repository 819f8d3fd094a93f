"""Settings: `TIC_*` variables, per-service database URLs, and no development key outside development."""

import pytest
from pydantic import ValidationError

from tic_shared.settings import Environment, ServiceSettings, dev_public_key


def test_the_development_key_is_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIC_ENVIRONMENT", "production")
    monkeypatch.delenv("TIC_JWT_PUBLIC_KEY", raising=False)
    with pytest.raises(ValidationError, match="built-in development key"):
        ServiceSettings()


def test_the_development_key_is_fine_in_development() -> None:
    settings = ServiceSettings(environment=Environment.DEVELOPMENT)
    assert settings.jwt_public_key == dev_public_key()


def test_a_jwks_url_replaces_the_key_in_production() -> None:
    settings = ServiceSettings(environment=Environment.PRODUCTION, jwks_url="https://idp.example/jwks.json")
    assert settings.jwks_url


def test_service_database_url_wins_over_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIC_DATABASE_URL", "postgresql://shared@db/tic")
    monkeypatch.setenv("TIC_FUNDING_DATABASE_URL", "postgresql://funding@db/tic")
    assert ServiceSettings.for_service("funding").database_url == "postgresql://funding@db/tic"
    assert ServiceSettings.for_service("registry").database_url == "postgresql://shared@db/tic"
