"""Any sequence of acts with any dates keeps the register true: a hypothesis state machine over the registry's API.

Whatever a caller sends, in whatever order, dated whenever: every answer is a success or a 4xx (never a 500), and
after every step the record holds — each center's acts dated in order, never in the future nor before the policy,
one approval per center at most, registry codes unique, an official name held by one live center, every state one
of the lifecycle's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, ClassVar

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import text

from registry.domain.lifecycle import State
from registry.domain.policy import registry_policy
from tic_platform.testing import bearer, create_app, running
from tic_shared.dated_acts import today

TODAY = today()
IN_FORCE = registry_policy().in_force_from
# Days around the record's window: some before the policy, most inside it, some after today.
DAYS = st.integers(min_value=(IN_FORCE - timedelta(days=40) - TODAY).days, max_value=20).map(
    lambda offset: TODAY + timedelta(days=offset)
)
DOMAINS = st.sampled_from(["高分子材料", "工业软件", "精密轴承"])  # few, so names collide often
ACTIONS = (
    "submit",
    "start-review",
    "review",
    "decision",
    "public-notice",
    "objections",
    "resolution",
    "approve",
    "reject",
    "withdraw",
    "tier",
    "acceptance",
    "cancel",
    "delist",
    "reinstate",
    "governance",
)


def _credit_code() -> str:
    from registry.domain.credit_code import check_character

    body = "91330200" + f"{uuid.uuid4().int % 10**9:09d}"
    return body + check_character(body)


def _body(action: str, on: date, domain: str, flag: bool) -> dict[str, Any]:
    day = on.isoformat()
    bodies: dict[str, dict[str, Any]] = {
        "submit": {"on": day},
        "start-review": {"on": day},
        "review": {"passed": flag, "score": 80, "opinion": "意见", "experts": ["甲"], "reviewed_on": day},
        "decision": {"approved": flag, "meeting_ref": "常务会议", "decided_on": day, "reason": "理由"},
        "public-notice": {"starts_on": day},
        "objections": {"summary": "异议", "raised_by": "某人", "raised_on": day},
        "resolution": {"upheld": flag, "note": "核查", "resolved_on": day},
        "approve": {
            "document_no": "甬政发〔2026〕1号",
            "approved_on": day,
            "domain_zh": domain,
            "domain_en": {"高分子材料": "Polymer", "工业软件": "Software", "精密轴承": "Bearing"}[domain],
            "construction_years": 1 if flag else 5,
        },
        "reject": {"reason": "不同意", "on": day},
        "withdraw": {"reason": "撤回", "on": day},
        "tier": {"to_tier": "provincial_tic" if flag else "municipal_tic", "document_no": "浙科发", "changed_on": day},
        "acceptance": {"passed": flag, "accepted_on": day, "reasons": [] if flag else ["未完成"]},
        "cancel": {"reason": "撤销", "document_no": "甬科发〔2026〕2号", "effective_on": day},
        "delist": {"reason": "摘牌", "document_no": "甬科发〔2026〕3号", "effective_on": day},
        "reinstate": {"document_no": "甬科发〔2026〕4号", "decided_on": day, "reason": "更正"},
        "governance": {"independent_legal_person": flag, "effective_on": day, "reason": "换届"},
    }
    return bodies[action]


class Register(RuleBasedStateMachine):
    """The bureau (and the fuzzer behind it) acting on a few centers."""

    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    headers: dict[str, str]
    sql: Callable[[str], list[Any]]
    reached: ClassVar[set[str]] = set()
    centers = Bundle("centers")

    def __init__(self) -> None:
        super().__init__()
        self.mine: list[str] = []

    def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> httpx.Response:
        response = self.loop.run_until_complete(self.client.request(method, url, json=body, headers=self.headers))
        assert response.status_code < 500, f"{method} {url} {body}: {response.status_code} {response.text}"
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", response.text
        return response

    @rule(target=centers, district=st.sampled_from(["zhenhai", "yinzhou"]))
    def create(self, district: str) -> str:
        created = self._call(
            "POST",
            "/api/v1/centers",
            {
                "name_zh": "宁波市测试技术创新中心",
                "name_en": "Test Center",
                "origin": "municipal_initiative",
                "field": "new_materials",
                "industrial_chain": "新材料",
                "district": district,
                "lead_unit": {"name": "测试公司", "credit_code": _credit_code(), "type": "enterprise"},
            },
        )
        assert created.status_code == 201, created.text
        center_id = str(created.json()["id"])
        self.mine.append(center_id)
        return center_id

    @rule(center=centers, action=st.sampled_from(ACTIONS), on=DAYS, domain=DOMAINS, flag=st.booleans())
    def act(self, center: str, action: str, on: date, domain: str, flag: bool) -> None:
        body = _body(action, on, domain, flag)
        if action == "resolution":
            objections = self._call("GET", f"/api/v1/centers/{center}/objections").json()
            open_ones = [o["id"] for o in objections if o["status"] == "open"]
            if not open_ones:
                return
            self._call("POST", f"/api/v1/centers/{center}/objections/{open_ones[0]}/resolution", body)
            return
        self._call("POST", f"/api/v1/centers/{center}/{action}", body)

    @rule(
        center=centers,
        steps=st.integers(min_value=1, max_value=4),
        gap=st.integers(min_value=0, max_value=3),
        domain=DOMAINS,
        flag=st.booleans(),
    )
    def advance(self, center: str, steps: int, gap: int, domain: str, flag: bool) -> None:
        """The next acts of the ordinary path, dated a few days apart, so that deep states are reached too."""
        for _ in range(steps):
            self._step(center, gap, domain, flag)

    def _step(self, center: str, gap: int, domain: str, flag: bool) -> None:
        current = self._call("GET", f"/api/v1/centers/{center}").json()
        last = self.sql(f"SELECT last_act_on FROM registry.centers WHERE id = '{center}'")[0][0]
        on = min(TODAY, (last or TODAY - timedelta(days=300)) + timedelta(days=gap))
        step = {
            "draft": "submit",
            "submitted": "start-review",
            "under_review": "review",
            "reviewed": "decision",
            "decided": "public-notice",
            "public_notice": "approve",
            "building": "delist" if flag else "tier",
            "operating": "delist",
            "delisted": "reinstate",
            "cancelled": "reinstate",
        }.get(current["status"])
        if step is None:
            return
        if step == "approve" and current["notice_ends_on"]:
            on = max(on, date.fromisoformat(current["notice_ends_on"]))
            if on > TODAY:
                return
        body = _body(step, on, domain, True if step in ("review", "decision") else flag)
        self._call("POST", f"/api/v1/centers/{center}/{step}", body)
        Register.reached.add(self._call("GET", f"/api/v1/centers/{center}").json()["status"])

    @invariant()
    def the_record_holds(self) -> None:
        if not self.mine:
            return
        ids = ", ".join(f"'{c}'" for c in self.mine)
        history = self.sql(
            f'SELECT center_id, "on", action FROM registry.center_history WHERE center_id IN ({ids}) ORDER BY id'
        )
        last: dict[Any, date] = {}
        approvals: dict[Any, int] = {}
        for center_id, on, action in history:
            if action == "create":  # entering a draft in the system is not an act of the lifecycle
                continue
            assert IN_FORCE <= on <= today(), (action, on)
            assert on >= last.get(center_id, on), f"{center_id}: {action} on {on} before {last[center_id]}"
            last[center_id] = on
            if action == "approve":
                approvals[center_id] = approvals.get(center_id, 0) + 1
        assert all(count == 1 for count in approvals.values()), approvals
        centers = self.sql(f"SELECT status, code, official_name_zh FROM registry.centers WHERE id IN ({ids})")
        assert {status for status, _, _ in centers} <= {s.value for s in State}
        codes = [code for _, code, _ in centers if code]
        assert len(codes) == len(set(codes)), codes
        live = [name for status, _, name in centers if status in ("building", "operating")]
        duplicates = self.sql(
            "SELECT official_name_zh FROM registry.centers WHERE status IN ('building', 'operating') "
            "GROUP BY 1 HAVING count(*) > 1"
        )
        assert not duplicates, (duplicates, live)


def test_any_sequence_of_acts_with_any_dates_keeps_the_register_true(
    make_settings: Callable[..., Any], token: Callable[..., str]
) -> None:
    loop = asyncio.new_event_loop()
    app = create_app("registry", make_settings("registry"))
    lifespan = running(app)
    client = loop.run_until_complete(lifespan.__aenter__())

    def sql(statement: str) -> list[Any]:
        async def run() -> list[Any]:
            async with app.state.db.transaction() as session:
                return list((await session.execute(text(statement))).all())

        return loop.run_until_complete(run())

    Register.loop, Register.client, Register.sql = loop, client, staticmethod(sql)
    Register.headers = bearer(token(subject="fuzzing-bureau", roles=["bureau_admin"]))
    try:
        run_state_machine_as_test(
            Register,
            settings=settings(
                max_examples=12,
                stateful_step_count=30,
                deadline=None,
                derandomize=True,  # the same sequences on every run: a failure here is reproducible
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()
    # The machine went deep, not just round the first states.
    assert {"building", "delisted"} <= Register.reached, Register.reached
