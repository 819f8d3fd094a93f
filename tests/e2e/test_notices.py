"""What people are told is true and readable: every template of every event, in both languages, from real events.

The four services run side by side in a database of their own and live a program's year: applications that are
withdrawn, rejected and approved (one after an objection), grants paid and one refused by the budget, annual
rounds with excellent and unqualified results, milestones, acceptances passed and failed, a delisting with its
clawback, its reversal, a tier change, and a delivery that fails for good. Every event they emit is rendered with
the notification templates in Chinese and in English and read as a person would: names, not codes; money in
元 / yuan; the center's registry code and the act's document; English without Chinese beyond names and what a
person wrote; nothing sent to people that asks nothing of them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from notification.data import package_templates
from notification.domain import rules as rules_domain
from notification.domain.templates import LOCALES, context_for, labels, render
from tic_platform.embedded import free_port
from tic_platform.testing import bearer, eventually
from tic_shared.dated_acts import today
from tic_shared.events.catalog import CATALOG

Y = today().year
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
# Codes a person must never read: every code of the vocabularies the notices name, and template leftovers.
CODES = sorted(
    {
        code
        for kind in ("tier", "field", "status", "grade", "milestone", "measure", "trigger")
        for code in labels()[kind]
    }
    - {"bases"},  # also an English word
    key=len,
    reverse=True,
)
LEFTOVERS = ("None", "{{", "}}", "_fen", "[]", "{'")
# What a person wrote (or an organisation is called) may be in Chinese in an English notice; nothing else may.
FREE_TEXT = ("reason", "opinion", "summary", "recommender", "name_zh", "last_error", "recipient")


def _credit_code() -> str:
    from registry.domain.credit_code import check_character

    body = "91330200" + f"{uuid.uuid4().int % 10**9:09d}"
    return body + check_character(body)


class Story:
    """The registry, evaluation and funding clients of one database, acting as the bureau."""

    def __init__(self, reg: httpx.AsyncClient, ev: httpx.AsyncClient, fund: httpx.AsyncClient, admin: Any) -> None:
        self.reg, self.ev, self.fund, self.admin = reg, ev, fund, admin

    async def call(self, client: httpx.AsyncClient, method: str, url: str, body: Any = None, ok: int = 200) -> Any:
        response = await client.request(method, url, json=body, headers=self.admin)
        assert response.status_code == ok, f"{method} {url}: {response.text}"
        return response.json()

    async def center(
        self, name: str, english: str, *, until: str, approved_on: date | None = None, years: int = 5
    ) -> str:
        created = await self.call(
            self.reg,
            "POST",
            "/api/v1/centers",
            {
                "name_zh": f"宁波市{name}技术创新中心",
                "name_en": f"Ningbo {english} Center",
                "tier": "municipal_tic",
                "origin": "recommended",
                "recommender": "鄞州区人民政府",
                "field": "new_materials",
                "industrial_chain": "新材料",
                "district": "yinzhou",
                "lead_unit": {"name": f"宁波{name}有限公司", "credit_code": _credit_code(), "type": "enterprise"},
                "contacts": [{"name": "王敏", "email": f"{uuid.uuid4().hex[:8]}@example.cn", "role": "联系人"}],
            },
            ok=201,
        )
        cid = created["id"]
        approval = approved_on or today()

        def before(days: int) -> str:
            return str(approval - timedelta(days=days))

        steps: list[tuple[str, str, dict[str, Any]]] = [
            ("submitted", "submit", {"on": before(60)}),
            ("under_review", "start-review", {"on": before(58)}),
            (
                "reviewed",
                "review",
                {"passed": True, "score": 88, "opinion": "同意", "experts": ["专家甲"], "reviewed_on": before(50)},
            ),
            ("decided", "decision", {"approved": True, "meeting_ref": "市政府常务会议", "decided_on": before(40)}),
            ("public_notice", "public-notice", {"starts_on": before(30)}),
            (
                "building",
                "approve",
                {
                    "document_no": f"甬政发〔{approval.year}〕{uuid.uuid4().int % 90 + 10}号",
                    "approved_on": str(approval),
                    "construction_years": years,
                    "domain_zh": f"{name}{uuid.uuid4().hex[:3].upper()}",
                    "domain_en": f"{english} {uuid.uuid4().hex[:3].upper()}",
                },
            ),
        ]
        for state, action, body in steps:
            if action == "approve" and until == "objection":
                objection = await self.call(
                    self.reg,
                    "POST",
                    f"/api/v1/centers/{cid}/objections",
                    {"summary": "依托单位资质存疑", "raised_by": "某公司", "raised_on": before(28)},
                    ok=201,
                )
                await self.call(
                    self.reg,
                    "POST",
                    f"/api/v1/centers/{cid}/objections/{objection['id']}/resolution",
                    {"upheld": False, "note": "经核查不属实", "resolved_on": before(26)},
                )
            await self.call(self.reg, "POST", f"/api/v1/centers/{cid}/{action}", body)
            if state == until:
                break
        return str(cid)

    async def tracked(self, center_id: str) -> None:
        async def known() -> bool:
            response = await self.ev.get(f"/api/v1/centers/{center_id}", headers=self.admin)
            return response.status_code == 200

        await eventually(known, timeout_s=20)

    async def finalize(self, evaluation_id: str) -> Any:
        url = f"/api/v1/evaluations/{evaluation_id}"
        preview = await self.call(self.ev, "GET", f"{url}/finalize-preview")
        return await self.call(self.ev, "POST", f"{url}/finalize", {"confirm": preview["preview_id"]})

    async def evaluation(self, center_id: str, year: int) -> Any:
        found = await self.call(self.ev, "GET", f"/api/v1/evaluations?center_id={center_id}&year={year}")
        return found["items"][0]


REPORT = {
    "investment": {f"{k}_fen": 10**11 for k in ("lead_unit", "co_builders", "municipal_fiscal")}
    | {f"{k}_fen": 10**11 for k in ("district_fiscal", "national_funds", "social_capital")},
    "team": {
        "total": 5000,
        "full_time_researchers": 5000,
        "high_level_teams": 50,
        "top_talents": 500,
        "young_talents": 500,
        "non_rd_staff": 500,
    },
    "projects": {"national_major": 50, "provincial_major": 50, "municipal_major": 50},
    "results": {"breakthroughs": 50, "import_substitution": 50, "standards": 50, "patents": 500},
    "ecosystem": {"bases": 50, "close_partners": 500, "spin_offs": 50, "enterprises_served": 5000},
}


async def _live_the_year(story: Story, token: Callable[..., str]) -> dict[str, str]:
    """The program's year, through the APIs; the centers it made, by role in the story."""
    reg, ev, fund = story.reg, story.ev, story.fund
    centers = {
        "withdrawn": await story.center("海洋材料", "Marine Materials", until="submitted"),
        "rejected": await story.center("柔性电子", "Flexible Electronics", until="under_review"),
        "failing": await story.center(
            "磁性材料", "Magnetic Materials", until="objection", approved_on=date(Y - 2, 3, 2)
        ),
        "excellent": await story.center(
            "工业软件", "Industrial Software", until="building", approved_on=date(Y - 2, 4, 6)
        ),
        "accepted": await story.center(
            "精密轴承", "Precision Bearing", until="building", approved_on=date(Y - 2, 2, 3), years=1
        ),
        "cancelled": await story.center(
            "智能传感", "Smart Sensing", until="building", approved_on=date(Y - 2, 2, 4), years=1
        ),
    }
    await story.call(reg, "POST", f"/api/v1/centers/{centers['withdrawn']}/withdraw", {"reason": "材料需补充"})
    await story.call(
        reg,
        "POST",
        f"/api/v1/centers/{centers['rejected']}/review",
        {"passed": False, "score": 52, "opinion": "建设方案不成熟", "experts": ["专家乙"]},
    )

    # Funding: the failing center is paid and spends part; a grant beyond the budget is refused.
    async def grant_of(center_id: str) -> Any:
        async def opened() -> Any:
            found = await story.call(fund, "GET", f"/api/v1/grants?center_id={center_id}")
            return found["items"][0] if found["items"] else None

        return await eventually(opened, timeout_s=20)

    paid = await grant_of(centers["failing"])
    url = f"/api/v1/grants/{paid['grant_id']}"
    await story.call(fund, "POST", f"{url}/calculate", {"verified_investment_fen": 10**9})
    await story.call(fund, "PUT", f"/api/v1/budgets/ningbo/{paid['budget_year']}", {"budget_fen": 300_000_000})
    await story.call(fund, "POST", f"{url}/approve")
    await story.call(fund, "POST", f"{url}/disburse")
    await story.call(
        fund,
        "POST",
        f"/api/v1/centers/{centers['failing']}/expenditures",
        {"category": "equipment", "amount_fen": 120_000_000, "spent_on": str(date(Y - 1, 5, 6))},
        ok=201,
    )
    refused = await grant_of(centers["excellent"])
    url = f"/api/v1/grants/{refused['grant_id']}"
    await story.call(fund, "POST", f"{url}/calculate", {"verified_investment_fen": 10**9})
    await story.call(fund, "POST", f"{url}/approve", ok=409)

    # Evaluation: two rounds; experts score the strong centers, the failing one never reports.
    for center_id in centers.values():
        if center_id not in (centers["withdrawn"], centers["rejected"]):
            await story.tracked(center_id)
    system = await story.call(ev, "GET", "/api/v1/indicator-systems/ningbo-tic-2022")
    qualitative = [i["code"] for g in system["first_level"] for i in g["indicators"] if i["kind"] == "qualitative"]
    expert = bearer(token("expert-notices", roles=["expert"]))
    for year in (Y - 1, Y):
        await story.call(ev, "POST", "/api/v1/rounds", {"year": year}, ok=201)
        for role in ("failing", "excellent", "accepted", "cancelled"):
            if year == Y and role in ("accepted", "cancelled"):
                continue
            evaluation = await story.evaluation(centers[role], year)
            url = f"/api/v1/evaluations/{evaluation['id']}"
            if role == "failing":
                await story.call(ev, "POST", f"{url}/not-submitted", {"reason": "逾期未报送年度报告"})
            else:
                report = REPORT if role != "cancelled" else {**REPORT, "ecosystem": {**REPORT["ecosystem"], "bases": 0}}
                await story.call(ev, "PUT", f"{url}/report", report)
                await story.call(ev, "POST", f"{url}/assignments", {"expert": "expert-notices"})
                scored = await ev.put(f"{url}/scores", json={"scores": dict.fromkeys(qualitative, 95)}, headers=expert)
                assert scored.status_code == 200, scored.text
            await story.finalize(evaluation["id"])

    async def status_of(center_id: str, status: str) -> bool:
        found = await story.call(reg, "GET", f"/api/v1/centers/{center_id}")
        return bool(found["status"] == status)

    await eventually(lambda: status_of(centers["failing"], "delisted"), timeout_s=30)
    await eventually(lambda: status_of(centers["accepted"], "operating"), timeout_s=30)
    await eventually(lambda: status_of(centers["cancelled"], "cancelled"), timeout_s=30)

    async def clawback() -> Any:
        found = await story.call(fund, "GET", "/api/v1/clawbacks?limit=500")
        return [c for c in found["items"] if c["center_id"] == centers["failing"]] or None

    await eventually(clawback, timeout_s=30)
    await story.call(
        reg,
        "POST",
        f"/api/v1/centers/{centers['failing']}/reinstate",
        {"document_no": f"甬科发〔{Y}〕77号", "decided_on": str(today()), "reason": "年度评价结果复核更正"},
    )
    await story.call(
        reg,
        "POST",
        f"/api/v1/centers/{centers['excellent']}/tier",
        {"to_tier": "provincial_tic", "document_no": f"浙科发〔{Y}〕9号", "changed_on": str(today())},
    )

    async def reversed_() -> Any:
        found = await story.call(fund, "GET", "/api/v1/clawbacks?limit=500&status=reversed")
        return [c for c in found["items"] if c["center_id"] == centers["failing"]] or None

    await eventually(reversed_, timeout_s=30)

    # A plan's years: its lead department reports, the bureau accepts; a year far below the path turns it behind.
    economy = bearer(
        token(subject="officer-economy", roles=["department_officer"], department="linhai.economy_information")
    )
    indicator = "/api/v1/plans/linhai-315-2023/indicators/high_tech_value_added_share"
    for year, value in ((2023, "74.0"), (2024, "60.0")):
        sent = await story.ev.post(
            f"{indicator}/reports", json={"year": year, "value": value, "source": "临海市统计公报"}, headers=economy
        )
        assert sent.status_code == 201, sent.text
        await story.call(story.ev, "POST", f"/api/v1/plans/reports/{sent.json()['id']}/accept")
    return centers


async def _events(apps: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for app in apps:
        outbox = app.state.messaging.outbox
        async with app.state.db.transaction() as session:
            found += [row.payload for row in (await session.execute(select(outbox.c.payload).order_by(outbox.c.id)))]
    return found


def _projection(center: dict[str, Any]) -> dict[str, Any]:
    return {
        "center_id": center["id"],
        "code": center["code"],
        "name_zh": center["official_name_zh"] or center["name_zh"],
        "name_en": center["official_name_en"] or center["name_en"],
        "tier": center["tier"],
        "status": center["status"],
        "district": center["district"],
        "contacts": center["contacts"],
        "lead_unit": center["lead_unit"],
    }


def _free_text(data: dict[str, Any]) -> list[str]:
    values: list[str] = []

    def walk(value: Any, key: str | None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and (key in FREE_TEXT or key in ("name", "reasons", "document_no", "meeting_ref")):
            values.append(value)

    walk(data, None)
    return sorted(values, key=len, reverse=True)


def _read(event: dict[str, Any], center: dict[str, Any] | None, locale: str) -> list[str]:
    """What a person would object to in this notice; nothing when it reads right."""
    name = event["type"].split(".")[2]
    template = package_templates()[(name, locale)]
    context = context_for(event=event, center=center, locale=locale)
    rendered = render(template["subject"], template["body"], context)
    text = f"{rendered.subject}\n{rendered.text}"
    data = context["data"]
    found = []
    # In English a one-word code (qualified, building) is also the word a person reads; a code with _ or - is not.
    for code in CODES if locale == "zh" else [c for c in CODES if "_" in c or "-" in c]:
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            found.append(f"shows the code {code!r}")
    found += [f"shows {leftover!r}" for leftover in LEFTOVERS if leftover in text]
    money = [key for key, value in data.items() if key.endswith("_fen") and isinstance(value, int) and value > 0]
    if money and ("元" if locale == "zh" else "CNY") not in text:
        found.append(f"names money ({', '.join(money)}) without its unit")
    code = data.get("code") or (center or {}).get("code")
    carries_code = event["type"].split(".")[1] != "registry" or data.get("code")
    if code and carries_code and name not in ("BudgetExceeded", "DeliveryDeadLettered") and code not in text:
        found.append(f"does not name the registry code {code}")
    if data.get("document_no") and name != "CenterSubmitted" and data["document_no"] not in text:
        found.append(f"does not name the document {data['document_no']}")
    if locale == "en":
        stripped = text
        for value in _free_text({**data, "center": center or {}}):
            stripped = stripped.replace(value, "")
        if CJK.search(stripped):
            found.append(f"English with Chinese in it: {CJK.findall(stripped)[:5]}")
    return found


async def test_every_notice_of_every_event_reads_right_in_both_languages(
    run_service: Any, token: Callable[..., str], own_database_url: str, own_nats: Any
) -> None:
    admin = bearer(token(subject="bureau-notices", roles=["bureau_admin"]))
    # A NATS of its own: the notification service's durable consumer would otherwise first work through every
    # event the other tests left on the shared server (a backlog that grows with the suite), and the dead
    # letter this test waits for could come after its bound.
    db = {"database_url": own_database_url, "nats_url": own_nats.url}
    dead_port = free_port()  # nothing listens: the webhook delivery fails for good
    async with (
        run_service("registry", **db) as (registry, reg),
        run_service("evaluation", **db) as (evaluation, ev),
        run_service("funding", **db) as (funding, fund),
        run_service(
            "notification",
            **db,
            delivery_max_attempts=1,
            webhook_hold_while_down=False,  # dead-lettered at once, though the endpoint never answers
            delivery_poll_interval_s=0.1,
        ) as (notification, note),
    ):
        subscription = await note.post(
            "/api/v1/subscriptions",
            json={"url": f"http://127.0.0.1:{dead_port}/hook", "event_types": ["tic.registry.CenterWithdrawn.v1"]},
            headers=admin,
        )
        assert subscription.status_code == 201, subscription.text
        centers = await _live_the_year(Story(reg, ev, fund, admin), token)

        async def dead_lettered() -> list[dict[str, Any]] | None:
            found = [e for e in await _events([notification]) if e["type"].endswith("DeliveryDeadLettered.v1")]
            return found or None

        await eventually(dead_lettered, timeout_s=30)
        events = await _events([registry, evaluation, funding, notification])
        shown = {
            cid: _projection(await Story(reg, ev, fund, admin).call(reg, "GET", f"/api/v1/centers/{cid}"))
            for cid in centers.values()
        }

    # Every event type of the catalog happened, for real.
    happened = {event["type"] for event in events}
    assert {model.ce_type() for model in CATALOG} <= happened, sorted({m.ce_type() for m in CATALOG} - happened)
    complaints = []
    for event in events:
        center = shown.get(str(event["data"].get("center_id")))
        for locale in LOCALES:
            complaints += [f"{event['type']} [{locale}]: {p}" for p in _read(event, center, locale)]
    assert complaints == [], "\n".join(sorted(set(complaints)))

    # A clawback that asks for nothing is told to systems, never to people.
    rule = rules_domain.package_rules().for_event("ClawbackOrdered")
    assert rule is not None
    zero = {"amount_fen": 0}
    people = rules_domain.targets(
        rule,
        event_type="tic.funding.ClawbackOrdered.v1",
        center_id=uuid.uuid4(),
        district="yinzhou",
        contacts=[{"email": "someone@example.cn"}],
        subscribers=[rules_domain.Subscriber(id=uuid.uuid4(), event_types=("*",))],
        data=zero,
    )
    assert [target.channel for target in people] == ["webhook"]
