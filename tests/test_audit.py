"""Tamper-evident history: every service's history rows are a hash chain, and `tic audit verify` names an edit.

Rows written by the services chain as they are written; rows that were there before the chain existed are chained
by the migration that adds it; an edit, a removal or a reordering in SQL is found and named.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from tic_platform.cli import SERVICES, audit_chains
from tic_shared.audit import GENESIS, row_hash
from tic_shared.db import asyncpg_dsn
from tic_shared.migrations import upgrade

# The history table of each service and a statement that edits one of its rows.
EDITS = {
    "registry": "UPDATE registry.center_history SET reason = 'edited' WHERE id = (SELECT max(id) FROM {t})",
    "evaluation": "UPDATE evaluation.history SET actor = 'someone else' WHERE id = (SELECT max(id) FROM {t})",
    "funding": "UPDATE funding.ledger_entries SET amount_fen = amount_fen + 1 WHERE n = (SELECT max(n) FROM {t})",
    "notification": "UPDATE notification.delivery_attempts SET ok = NOT ok WHERE id = (SELECT max(id) FROM {t})",
}
TABLES = {
    "registry": ["registry.center_history"],
    "evaluation": ["evaluation.history", "evaluation.plan_history"],
    "funding": ["funding.ledger_entries"],
    "notification": ["notification.delivery_attempts"],
}


def test_every_service_keeps_its_history_as_a_chain() -> None:
    import importlib

    for service in SERVICES:
        audited = importlib.import_module(f"{service}.store.tables").AUDITED
        assert [table.table.fullname for table in audited] == TABLES[service]


def test_a_row_hash_covers_its_content_and_the_row_before() -> None:
    content = {"center_id": uuid.UUID(int=1), "reason": "原因", "details": {"b": 1, "a": [1, 2]}}
    first = row_hash(GENESIS, content)
    assert first == row_hash(GENESIS, dict(reversed(list(content.items()))))  # key order does not matter
    assert first != row_hash(GENESIS, {**content, "reason": "原因 "})
    assert first != row_hash("1" * 64, content)


def test_a_row_hash_keeps_its_form_for_chains_already_stored() -> None:
    # Digests of the canonical form as chains were first written (keys sorted, compact, UTF-8, times in UTC): a
    # faster encoding must give these same digests, or every stored chain would read as edited.
    content = {
        "delivery_id": uuid.UUID(int=7),
        "attempt": 2,
        "ok": False,
        "started_at": datetime(2026, 3, 1, 8, 30, 5, 123456, tzinfo=timezone(timedelta(hours=8))),
        "latency_ms": 31,
        "http_status": None,
        "error": "ConnectError: 无法连接",
        "amount": Decimal("12.50"),
        "on": date(2026, 3, 1),
        "details": {"b": [1, 2.5, True], "a": {"x": None}},
        "tags": ("a", "b"),
    }
    assert row_hash(GENESIS, content) == "7602477c713a6405b0700b520f8b2e8776a0268aacd18f265b4b9adc89b9d62b"
    assert row_hash("1" * 64, {"x": 'é\n"q'}) == "0ca0bfae634529657deab12eb12ecebf0ff32d6fc81968f3dbd7c974f43a1221"


async def _seed_before_the_chain(conn: asyncpg.Connection, service: str) -> None:
    """Rows as the service wrote them before its history was chained."""
    if service == "registry":
        center = uuid.uuid4()
        await conn.execute(
            "INSERT INTO registry.centers (id, name_zh, tier, status, origin, field, industrial_chain, district,"
            " lead_unit_name, lead_unit_credit_code, lead_unit_type, created_by)"
            " VALUES ($1, '宁波市旧数据技术创新中心', 'municipal_tic', 'submitted', 'municipal_initiative',"
            " 'new_materials', '新材料', 'yinzhou', '旧公司', '913302000000000001', 'enterprise', 'old')",
            center,
        )
        for action in ("create", "submit"):
            await conn.execute(
                "INSERT INTO registry.center_history (center_id, actor, action, to_state) VALUES ($1, 'old', $2, 'x')",
                center,
                action,
            )
    elif service == "funding":
        center = uuid.uuid4()
        for amount in (100, 200):
            await conn.execute(
                "INSERT INTO funding.ledger_entries (entry_id, center_id, kind, amount_fen, occurred_on, recorded_by)"
                " VALUES ($1, $2, 'disbursement', $3, '2025-01-01', 'old')",
                uuid.uuid4(),
                center,
                amount,
            )


@pytest.mark.parametrize("service", ["registry", "funding"])
async def test_the_migration_chains_the_rows_already_there(empty_database_url: str, service: str) -> None:
    before = {"registry": "0002", "funding": "0003"}[service]
    await upgrade(service, empty_database_url, before)
    conn = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        await _seed_before_the_chain(conn, service)
    finally:
        await conn.close()
    await upgrade(service, empty_database_url)
    report = await audit_chains([service], empty_database_url)
    assert report == [f"{TABLES[service][0]}: 2 rows in 1 chains, intact"], report


async def test_audit_verify_names_an_edited_row_in_every_service(
    run_service: Any, own_database_url: str, token: Any
) -> None:
    """Each service writes history through its own API; an edit of the last row breaks its chain."""
    from tic_platform.testing import bearer, eventually

    admin = bearer(token(subject="auditor", roles=["bureau_admin"]))
    db = {"database_url": own_database_url}
    async with (
        run_service("registry", **db) as (registry, reg),
        run_service("notification", **db, delivery_poll_interval_s=0.1) as (_, note),
    ):
        # The delivery log is of sends (the inbox's deliveries send nothing): a webhook to a closed port gets one.
        subscribed = await note.post(
            "/api/v1/subscriptions",
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["tic.registry.*"]},
            headers=admin,
        )
        assert subscribed.status_code == 201, subscribed.text
        created = await reg.post(
            "/api/v1/centers",
            json={
                "name_zh": "宁波市审计技术创新中心",
                "origin": "municipal_initiative",
                "field": "new_materials",
                "industrial_chain": "新材料",
                "district": "yinzhou",
                "lead_unit": {"name": "审计公司", "credit_code": "91330200MA2GQ3XK4B", "type": "enterprise"},
                "contacts": [{"name": "王敏", "email": "wm@example.cn", "role": "联系人"}],
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        assert (await reg.post(f"/api/v1/centers/{created.json()['id']}/submit", headers=admin)).status_code == 200
        async with registry.state.db.transaction() as session:
            # The ledger and the evaluation history get a row each through their chain writer.
            from evaluation.store import evaluations as evaluation_store
            from funding.store import ledger as funding_ledger

            round_id, evaluation_id = uuid.uuid4(), uuid.uuid4()
            await session.execute(
                text(
                    "INSERT INTO evaluation.rounds (id, year, indicator_system, rules, opened_by)"
                    " VALUES (:r, 2025, 'ningbo-tic-2022', 'ningbo-tic-2022', 'auditor')"
                ),
                {"r": round_id},
            )
            await session.execute(
                text(
                    "INSERT INTO evaluation.evaluations (id, round_id, center_id, year, kind, status)"
                    " VALUES (:e, :r, :c, 2025, 'annual', 'awaiting_report')"
                ),
                {"e": evaluation_id, "r": round_id, "c": uuid.uuid4()},
            )
            await evaluation_store.add_history(
                session, entries=[{"evaluation_id": evaluation_id, "action": "assign_expert", "actor": "auditor"}]
            )
            await funding_ledger.add_entry(
                session,
                values={
                    "center_id": uuid.uuid4(),
                    "kind": "disbursement",
                    "amount_fen": 100,
                    "occurred_on": date(2025, 2, 1),
                    "recorded_by": "auditor",
                },
            )

        async def attempts() -> bool:
            async with registry.state.db.transaction() as session:
                return bool(
                    (await session.execute(text("SELECT count(*) FROM notification.delivery_attempts"))).scalar()
                )

        from tic_platform.testing import eventually

        await eventually(attempts)

        intact = await audit_chains(list(SERVICES), own_database_url)
        assert all(line.endswith("intact") for line in intact), intact
        for service in SERVICES:
            async with registry.state.db.transaction() as session:
                await session.execute(text(EDITS[service].format(t=TABLES[service][0])))
            report = await audit_chains([service], own_database_url)
            assert report[0] == report[0].split(",")[0] + ", BROKEN in 1 chain(s)", report
            assert "was edited" in report[1], report
