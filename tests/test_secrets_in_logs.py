"""No secret reaches a log: a failed insert logs its SQL, never its parameters, and a webhook secret is stored
only sealed. The test forces an insert to fail, then searches everything logged for every secret it made."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest

from tic_platform.testing import bearer, create_app
from tic_shared.db import asyncpg_dsn

REFUSE_INSERTS = """
CREATE FUNCTION notification.refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'inserts refused by the test'; END $$;
CREATE TRIGGER refuse_insert BEFORE INSERT ON notification.subscriptions
FOR EACH ROW EXECUTE FUNCTION notification.refuse_insert();
"""


async def test_a_failed_insert_logs_no_secret_and_secrets_are_stored_sealed(
    own_database_url: str,
    make_settings: Callable[..., Any],
    token: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings("notification", database_url=own_database_url, delivery_worker_enabled=False)
    admin_token = token(subject="secret-keeper", roles=["bureau_admin"])
    admin = bearer(admin_token)
    app = create_app("notification", settings)
    async with app.router.lifespan_context(app):
        # A 500 must come back as an answer, not as an exception in the test.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            made = []
            for n in range(2):
                created = await client.post(
                    "/api/v1/subscriptions",
                    json={"url": f"http://127.0.0.1:9/hook{n}", "event_types": ["*"]},
                    headers=admin,
                )
                assert created.status_code == 201, created.text
                made.append(created.json())
            conn = await asyncpg.connect(asyncpg_dsn(own_database_url))
            try:
                await conn.execute(REFUSE_INSERTS)
                failed = await client.post(
                    "/api/v1/subscriptions",
                    json={"url": "http://127.0.0.1:9/refused", "event_types": ["*"]},
                    headers=admin,
                )
                stored = await conn.fetch(
                    "SELECT secret FROM notification.subscriptions WHERE id = ANY($1::uuid[])",
                    [item["id"] for item in made],
                )
            finally:
                await conn.close()
    assert failed.status_code == 500
    assert failed.headers["connection"] == "close"
    assert failed.headers["content-type"] == "application/problem+json"

    secrets = [item["secret"] for item in made]
    assert all(secret.startswith("whsec_") for secret in secrets)
    assert len(stored) == 2
    for row in stored:
        assert row["secret"].startswith("sealed:v1:")
        assert not any(secret in row["secret"] for secret in secrets)

    logged = "\n".join([caplog.text, *capfd.readouterr()])
    assert "inserts refused by the test" in logged, "the failed insert was not logged at all"
    assert "INSERT INTO notification.subscriptions" in logged
    settings_key = settings.webhook_secret_key.get_secret_value()
    for secret in [*secrets, "whsec_", "sealed:v1:", admin_token, settings_key]:
        assert secret not in logged, f"a secret is in the log: {secret[:12]}…"
