"""Loads the demo centers through the registry's own API, act by act: what a bureau's staff would have done."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import httpx

from registry.demo.generator import generate_demo_centers
from registry.demo.model import DemoCenter, DemoStep
from registry.domain.lifecycle import Action
from tic_platform.demo import DemoApi

MARKER = "demo-registry"


def application(center: DemoCenter) -> dict[str, Any]:
    targets = asdict(center.targets)
    for milestone in ("year_2", "year_5"):
        targets[milestone].pop("clause", None)
    return {
        "name_zh": center.name_zh,
        "name_en": center.name_en,
        "tier": center.tier.value,
        "origin": center.origin.value,
        "recommender": center.recommender.name if center.recommender else None,
        "field": center.field.value,
        "industrial_chain": center.industrial_chain,
        "district": center.district,
        "lead_unit": {
            "name": center.lead_unit.name,
            "credit_code": center.lead_unit.credit_code,
            "type": center.lead_unit.type.value,
        },
        "co_builders": [
            {"name": u.name, "credit_code": u.credit_code, "type": u.type.value} for u in center.co_builders
        ],
        "contacts": [asdict(c) for c in center.contacts],
        "plan": [
            {"code": s.code, "text": s.text, "items": [{"code": i.code, "text": i.text} for i in s.items]}
            for s in center.plan
        ],
        "targets": targets,
        "governance": [
            {
                "kind": g.kind,
                "members": [asdict(m) for m in g.members],
                "term_start": g.term_start.isoformat(),
                "term_end": g.term_end.isoformat(),
            }
            for g in center.governance
        ],
        "bases": [asdict(b) for b in center.bases],
        "independent_legal_person": center.independent_legal_person,
    }


def command(center: DemoCenter, step: DemoStep, objection_id: str | None) -> tuple[str, dict[str, Any]]:
    """The API call that records one demo step."""
    on = step.on.isoformat()
    match step.action:
        case Action.SUBMIT:
            return "submit", {"on": on}
        case Action.START_REVIEW:
            return "start-review", {"on": on}
        case Action.REVIEW:
            assert step.review is not None
            review = step.review
            body = {"passed": review.passed, "score": review.score, "opinion": review.opinion}
            return "review", {**body, "experts": list(review.experts), "reviewed_on": on}
        case Action.DECIDE:
            approved = step.outcome == "approved"
            reason = None if approved else step.reason or "不予立项"
            return "decision", {
                "approved": approved,
                "meeting_ref": step.meeting_ref,
                "decided_on": on,
                "reason": reason,
            }
        case Action.START_PUBLIC_NOTICE:
            return "public-notice", {"starts_on": on}
        case Action.RAISE_OBJECTION:
            return "objections", {"summary": step.objection, "raised_by": step.actor.name, "raised_on": on}
        case Action.RESOLVE_OBJECTION:
            body = {"upheld": step.outcome == "upheld", "note": step.reason or "经核查", "resolved_on": on}
            return f"objections/{objection_id}/resolution", body
        case Action.APPROVE:
            body = {"document_no": step.document_no, "approved_on": on, "construction_years": step.construction_years}
            if center.tier == "municipal_tic":
                body |= {"domain_zh": center.domain.zh, "domain_en": center.domain.en}
            return "approve", body
        case Action.REJECT:
            return "reject", {"reason": step.reason or "市政府未同意启动建设", "on": on}
        case Action.WITHDRAW:
            return "withdraw", {"reason": step.reason, "on": on}
        case Action.CHANGE_TIER:
            assert step.to_tier is not None
            return "tier", {"to_tier": step.to_tier.value, "document_no": step.document_no, "changed_on": on}
        case Action.COMPLETE_ACCEPTANCE:
            passed = step.outcome == "passed"
            reasons = [] if passed else [step.reason or "建设任务未完成"]
            return "acceptance", {"passed": passed, "accepted_on": on, "reasons": reasons}
        case Action.CANCEL | Action.DELIST:
            body = {
                "reason": step.reason or "",
                "document_no": step.document_no or _ending_document(step),
                "evidence": list(step.evidence),
                "effective_on": on,
            }
            return step.action.value, body
    raise ValueError(f"no API call for {step.action}")


def _ending_document(step: DemoStep) -> str:
    kind = "撤" if step.action == Action.CANCEL else "摘"
    return f"甬科{kind}〔{step.on.year}〕{step.on.timetuple().tm_yday}号"


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={"Idempotency-Key": key})
    if response.status_code >= 400:
        raise RuntimeError(f"demo: {path} refused: {response.status_code} {response.text}")
    result: dict[str, Any] = response.json()
    return result


async def load_demo(api: DemoApi) -> str:
    async with api.client("registry", subject=MARKER) as client:
        centers = generate_demo_centers()
        last = centers[-1]
        probe = await client.get("/api/v1/centers", params={"lead_unit_credit_code": last.lead_unit.credit_code})
        probe.raise_for_status()
        if any(item["status"] == last.final_state for item in probe.json()["items"]):
            return "registry: demo centers already there, nothing loaded"
        for center in centers:
            # Idempotency keys make a half-finished earlier load safe to run again.
            created = await _post(client, "/api/v1/centers", application(center), f"{center.key}:create")
            objection_id: str | None = None
            for index, step in enumerate(center.steps):
                path, body = command(center, step, objection_id)
                result = await _post(client, f"/api/v1/centers/{created['id']}/{path}", body, f"{center.key}:{index}")
                if step.action == Action.RAISE_OBJECTION:
                    objection_id = result["id"]
    return f"registry: {len(centers)} centers across {len({c.district for c in centers})} districts"
