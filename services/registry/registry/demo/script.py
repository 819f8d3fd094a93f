"""The acts that bring a demo center to its scenario's stage, dated forward from its creation, and the numbers of
the documents they cite."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from registry.demo.data import DemoData
from registry.demo.model import Actor, DemoCenter, DemoStep, ExpertReview
from registry.domain.lifecycle import Action, Outcome, public_notice_end
from registry.domain.naming import construction_end
from registry.domain.policy import Tier
from tic_shared.jurisdictions import Jurisdiction

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tic-platform.invalid/registry/demo")

CENTER_USER = Actor("center_user", "lead unit liaison")
REVIEWER = Actor("bureau_reviewer", "市科技局")
ADMIN = Actor("bureau_admin", "市科技局")
SERVICE = Actor("service", "evaluation")
# The scenarios that raise an objection during the notice (all but the first then resolve it).
WITH_OBJECTION = ("objection_open", "objection_upheld", "notice_after_dismissal", "building_after_dismissal")


class Clock:
    """Dates moving forward by random gaps."""

    def __init__(self, start: date, rng: random.Random) -> None:
        self.today = start
        self.rng = rng

    def advance(self, low: int, high: int) -> date:
        self.today += timedelta(days=self.rng.randint(low, high))
        return self.today

    def at_least(self, day: date) -> None:
        self.today = max(self.today, day)


def meeting_ref(day: date) -> str:
    # The executive meeting sits about every other week: number it by the fortnight of the year.
    return f"{day.year}年市政府第{day.timetuple().tm_yday // 14 + 1}次常务会议"


def steps(
    rng: random.Random,
    data: DemoData,
    ningbo: Jurisdiction,
    review: Callable[[bool], ExpertReview],
    *,
    scenario: str,
    created_on: date,
    tier: Tier,
    key: str,
) -> tuple[date, list[DemoStep]]:
    """The creation date and the acts that bring a center created then to the scenario's stage."""
    t = Clock(created_on, rng)
    taken: list[DemoStep] = []
    words = data.words

    def add(action: Action, gap: tuple[int, int], **fields: Any) -> DemoStep:
        step = DemoStep(action=action, on=t.advance(*gap), **fields)
        taken.append(step)
        return step

    def withdraw() -> None:
        add(Action.WITHDRAW, (20, 60), actor=CENTER_USER, reason=rng.choice(words.withdraw_reasons))

    if scenario == "draft":
        return created_on, taken
    if scenario == "draft_withdrawn":
        withdraw()
        return created_on, taken
    add(Action.SUBMIT, (5, 20), actor=CENTER_USER)
    if scenario == "submitted":
        return created_on, taken
    add(Action.START_REVIEW, (7, 20), actor=REVIEWER)
    if scenario in ("under_review", "under_review_withdrawn"):
        if scenario.endswith("withdrawn"):
            withdraw()
        return created_on, taken
    failed = scenario == "review_failed"
    add(
        Action.REVIEW,
        (20, 45),
        actor=REVIEWER,
        outcome=Outcome.FAILED if failed else Outcome.PASSED,
        review=review(not failed),
    )
    if scenario in ("review_failed", "reviewed", "reviewed_withdrawn"):
        if scenario.endswith("withdrawn"):
            withdraw()
        return created_on, taken
    rejected = scenario == "decision_rejected"
    decision = add(Action.DECIDE, (10, 30), actor=ADMIN, outcome=Outcome.REJECTED if rejected else Outcome.APPROVED)
    taken[-1] = replace(decision, meeting_ref=meeting_ref(decision.on))
    if scenario in ("decided", "decision_rejected"):
        return created_on, taken
    notice = add(Action.START_PUBLIC_NOTICE, (3, 10), actor=ADMIN)
    taken[-1] = replace(notice, document_no=f"甬科公示〔{notice.on.year}〕{notice.on.timetuple().tm_yday}号")
    if scenario in WITH_OBJECTION:
        add(Action.RAISE_OBJECTION, (1, 3), actor=ADMIN, objection=rng.choice(words.objections))
        if scenario != "objection_open":
            upheld = scenario == "objection_upheld"
            add(
                Action.RESOLVE_OBJECTION,
                (3, 6),
                actor=ADMIN,
                outcome=Outcome.UPHELD if upheld else Outcome.DISMISSED,
                reason="经核查，异议成立" if upheld else "经核查，相关情况属实说明充分，异议不成立",
            )
    anchored = data.scenarios[scenario].anchored
    if anchored is not None:
        delta = data.as_of - timedelta(days=anchored) - taken[-1].on
        return created_on + delta, [replace(s, on=s.on + delta) for s in taken]
    if scenario == "objection_upheld":
        return created_on, taken
    dismissed = taken[-1].on if taken[-1].action == Action.RESOLVE_OBJECTION else None
    t.at_least(public_notice_end(ningbo, notice.on, last_dismissal=dismissed))
    if scenario == "launch_declined":
        add(Action.REJECT, (0, 6), actor=ADMIN, reason="市政府研究决定暂缓启动建设，不予批复")
        return created_on, taken
    short = data.scenarios[scenario].short_period
    years = data.short_period_years if short else ningbo.construction_period.normal_years
    approval = add(Action.APPROVE, (0, 6), actor=ADMIN, construction_years=years)
    end = construction_end(ningbo, approval.on, years)
    if scenario in ("to_provincial", "to_national"):
        add(
            Action.CHANGE_TIER,
            (300, 420),
            actor=ADMIN,
            from_tier=tier,
            to_tier=Tier.PROVINCIAL_TIC,
            reason="获批省级技术创新中心",
        )
        if scenario == "to_national":
            add(
                Action.CHANGE_TIER,
                (400, 480),
                actor=ADMIN,
                from_tier=Tier.PROVINCIAL_TIC,
                to_tier=Tier.NATIONAL_TIC,
                reason="获批国家技术创新中心",
            )
    if scenario in ("operating", "acceptance_failed"):
        t.at_least(end)
        passed = scenario == "operating"
        add(
            Action.COMPLETE_ACCEPTANCE,
            (10, 25),
            actor=SERVICE,
            outcome=Outcome.PASSED if passed else Outcome.FAILED,
            reason="验收通过" if passed else "未按约定完成中心建设任务，取消创建资格",
            evidence=(str(uuid.uuid5(NAMESPACE, f"{key}/acceptance")),),
        )
    if scenario == "cancelled":
        add(
            Action.CANCEL,
            (700, 800),
            actor=ADMIN,
            reason="依托单位主要投入长期未到位，未按约定推进建设任务，取消创建资格",
        )
    if scenario == "delisted":
        t.at_least(date(2026, 4, 10))
        add(
            Action.DELIST,
            (0, 30),
            actor=SERVICE,
            reason="连续两次年度绩效评价不合格，予以摘牌",
            evidence=tuple(str(uuid.uuid5(NAMESPACE, f"{key}/evaluation/{y}")) for y in (2024, 2025)),
        )
    return created_on, taken


def number_documents(centers: list[DemoCenter]) -> list[DemoCenter]:
    """Give launch (甬政发) and tier documents numbers in date order within each year."""
    found = sorted(
        (s.on, ci, si)
        for ci, c in enumerate(centers)
        for si, s in enumerate(c.steps)
        if s.action in (Action.APPROVE, Action.CHANGE_TIER)
    )
    counters: dict[tuple[str, int], int] = {}
    patched: dict[int, list[DemoStep]] = {}
    for on, ci, si in found:
        step = centers[ci].steps[si]
        prefix = "甬政发"
        if step.action == Action.CHANGE_TIER:
            prefix = "国科发区" if step.to_tier == Tier.NATIONAL_TIC else "浙科发高"
        number = counters.get((prefix, on.year), 3 + ci % 5) + 1 + si % 4
        counters[(prefix, on.year)] = number
        patched.setdefault(ci, list(centers[ci].steps))[si] = replace(
            step, document_no=f"{prefix}〔{on.year}〕{number}号"
        )
    return [replace(c, steps=tuple(patched[i])) if i in patched else c for i, c in enumerate(centers)]
