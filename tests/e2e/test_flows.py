"""End to end, with the services running side by side and talking only through NATS.

Approved in the registry ⇒ tracked by evaluation and a year-1 grant opened by funding; paid and partly spent;
two unqualified annual evaluations ⇒ the registry delists ⇒ funding orders the clawback of what was not spent
compliantly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tic_platform.testing import bearer, eventually, take_to_approval
from tic_shared.dated_acts import today

# The two last calendar years: rounds are only for years that have begun, one per year per database, so the
# delisting story runs in a database of its own. The center is approved the year before the first of them.
YEARS = (today().year - 1, today().year)
APPROVED_ON = date(YEARS[0] - 1, 3, 2)


def _credit_code() -> str:
    from registry.domain.credit_code import check_character

    body = "91330200" + f"{uuid.uuid4().int % 10**9:09d}"
    return body + check_character(body)


async def _approved_center(
    client: httpx.AsyncClient, admin: dict[str, str], approved_on: date | None = None
) -> dict[str, Any]:
    """A municipal TIC taken from application to approval, each act dated after the one before it."""
    approval = approved_on or today()

    def before(days: int) -> str:
        return str(approval - timedelta(days=days))

    created = await client.post(
        "/api/v1/centers",
        json={
            "name_zh": "宁波市智能网联技术创新中心",
            "name_en": "Ningbo Intelligent Connectivity Center",
            "tier": "municipal_tic",
            "origin": "municipal_initiative",
            "field": "industrial_internet",
            "industrial_chain": "工业互联网",
            "district": "yinzhou",
            "lead_unit": {"name": "宁波示例智联科技有限公司", "credit_code": _credit_code(), "type": "enterprise"},
            "contacts": [{"name": "陈静", "email": "chenjing@example.cn", "role": "联系人"}],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return await take_to_approval(
        client,
        admin,
        created.json()["id"],
        approved_on=approval,
        document_no=f"甬政发〔{approval.year}〕30号",
        domain_zh=f"智能网联{uuid.uuid4().hex[:4].upper()}",
        domain_en=f"Intelligent Connectivity {uuid.uuid4().hex[:4].upper()}",
    )


async def test_delisting_after_two_unqualified_evaluations_claws_back_the_unspent_subsidy(
    run_service: Any, token: Callable[..., str], own_database_url: str
) -> None:
    admin = bearer(token(subject="bureau-e2e", roles=["bureau_admin"]))
    db = {"database_url": own_database_url}
    async with (
        run_service("registry", **db) as (registry, reg),
        run_service("evaluation", **db) as (_, ev),
        run_service("funding", **db) as (funding, fund),
    ):
        center = await _approved_center(reg, admin, approved_on=APPROVED_ON)
        center_id = center["id"]

        # Funding opened the year-1 grant from CenterApproved; pay it and spend part of it.
        async def year_one() -> dict[str, Any] | None:
            found = (await fund.get("/api/v1/grants", params={"center_id": center_id}, headers=admin)).json()
            return found["items"][0] if found["items"] else None

        grant = await eventually(year_one, timeout_s=20)
        assert grant["funding_year"] == 1 and grant["status"] == "awaiting_investment"
        calculated = await fund.post(
            f"/api/v1/grants/{grant['grant_id']}/calculate",
            json={"verified_investment_fen": 1_000_000_000},
            headers=admin,
        )
        assert calculated.status_code == 200, calculated.text
        assert calculated.json()["amount_fen"] == 300_000_000  # 30 % of 10 M yuan, under the 5 M first-year cap
        for step in ("approve", "disburse"):
            response = await fund.post(f"/api/v1/grants/{grant['grant_id']}/{step}", headers=admin)
            assert response.status_code == 200, response.text
        for category, amount in (("equipment", 120_000_000), ("infrastructure", 30_000_000)):
            spent = await fund.post(
                f"/api/v1/centers/{center_id}/expenditures",
                json={"category": category, "amount_fen": amount},
                headers=admin,
            )
            assert spent.status_code == 201, spent.text

        # Evaluation tracks the approved center; two annual results in a row come out unqualified.
        async def tracked() -> bool:
            return (await ev.get(f"/api/v1/centers/{center_id}", headers=admin)).status_code == 200

        await eventually(tracked, timeout_s=20)
        for year in YEARS:
            opened = await ev.post("/api/v1/rounds", json={"year": year}, headers=admin)
            assert opened.status_code == 201, opened.text
            listed = await ev.get("/api/v1/evaluations", params={"center_id": center_id, "year": year}, headers=admin)
            (evaluation,) = listed.json()["items"]
            url = f"/api/v1/evaluations/{evaluation['id']}"
            # No report came: a reviewer records it, the preview shows what follows, the bureau confirms.
            recorded = await ev.post(f"{url}/not-submitted", json={"reason": "逾期未报送年度报告"}, headers=admin)
            assert recorded.status_code == 200, recorded.text
            preview = (await ev.get(f"{url}/finalize-preview", headers=admin)).json()
            assert [item["delist_due"] for item in preview["becoming_unqualified"]] == [year == YEARS[1]]
            finalized = await ev.post(f"{url}/finalize", json={"confirm": preview["preview_id"]}, headers=admin)
            assert finalized.status_code == 200, finalized.text
            assert finalized.json()["grade"] == "unqualified"

        # The registry delists on the second failure…
        async def delisted() -> dict[str, Any] | None:
            found = (await reg.get(f"/api/v1/centers/{center_id}", headers=admin)).json()
            return found if found["status"] == "delisted" else None

        ended = await eventually(delisted, timeout_s=30)
        assert str(YEARS[0]) in ended["end_reason"] and str(YEARS[1]) in ended["end_reason"]

        # …and funding claws back disbursed − compliant spending: 3 M − 1.2 M = 1.8 M yuan.
        async def clawback() -> dict[str, Any] | None:
            found = (
                await fund.get("/api/v1/clawbacks", params={"status": "outstanding", "limit": 500}, headers=admin)
            ).json()
            mine = [c for c in found["items"] if c["center_id"] == center_id]
            return mine[0] if mine else None

        ordered = await eventually(clawback, timeout_s=30)
        assert ordered["disbursed_fen"] == 300_000_000
        assert ordered["compliant_spent_fen"] == 120_000_000
        assert ordered["amount_fen"] == 180_000_000

        # The registry's CenterDelisted is what funding reacted to.
        o = registry.state.messaging.outbox.c
        async with registry.state.db.transaction() as session:
            rows = await session.execute(
                select(o.event_id).where(o.aggregate_id == center_id, o.event_type == "tic.registry.CenterDelisted.v1")
            )
            (delisted_event,) = rows.all()
        assert ordered["reason_event_id"] == str(delisted_event.event_id)
        assert funding.state.link.connected


async def test_approval_in_the_registry_reaches_the_lead_unit_by_email_in_chinese(
    run_service: Any, token: Callable[..., str]
) -> None:
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    from tic_platform.embedded import free_port

    received: list[Any] = []

    class Mailbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    port = free_port()
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    admin = bearer(token(subject="bureau-e2e-mail", roles=["bureau_admin"]))
    try:
        async with (
            run_service("registry") as (_, reg),
            run_service("notification", smtp_host="127.0.0.1", smtp_port=port, delivery_poll_interval_s=0.1),
        ):
            center = await _approved_center(reg, admin)

            def text_of(envelope: Any) -> tuple[str, str]:
                message = message_from_bytes(envelope.content, policy=policy.default)
                return str(message["Subject"]), message.get_body(preferencelist=("plain",)).get_content()

            async def approval_mail() -> list[tuple[str, str]]:
                mine = [text_of(m) for m in received if "chenjing@example.cn" in m.rcpt_tos]
                return [(subject, body) for subject, body in mine if center["code"] in body]

            # The lead unit hears of each step; the approval names the center and its registry code, in Chinese.
            ((subject, body),) = await eventually(approval_mail, timeout_s=30)
            assert center["official_name_zh"] in subject + body
            assert "技术创新中心" in body
    finally:
        smtp.stop()
