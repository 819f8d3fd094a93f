"""Bad input on every registry endpoint: 4xx problem+json naming the field or rule, and nothing written."""

from __future__ import annotations

import copy
from typing import Any

import pytest


def _corrupt(code: str) -> str:
    last = code[-1]
    return code[:-1] + ("0" if last != "0" else "1")


CREATE_CASES = [
    (
        "body.lead_unit.credit_code",
        lambda b: b["lead_unit"].update(credit_code=_corrupt(b["lead_unit"]["credit_code"])),
    ),
    ("body.lead_unit.credit_code", lambda b: b["lead_unit"].update(credit_code="91330200ABC")),
    ("body.lead_unit.credit_code", lambda b: b["lead_unit"].update(credit_code="91330200MA2GQ3XKIO")),
    ("body.district", lambda b: b.update(district="atlantis")),
    ("body.field", lambda b: b.update(field="biotech")),
    ("body.tier", lambda b: b.update(tier="galactic")),
    ("body", lambda b: b.update(recommender=None)),
    ("body.plan", lambda b: b.update(plan=[{"code": "chapter_99", "text": "x"}])),
    ("body.bases", lambda b: b.update(bases=[dict(b["bases"][0]), dict(b["bases"][0])])),
    ("body.targets.year_2.investment_fen", lambda b: b["targets"]["year_2"].update(investment_fen=-1)),
    ("body.targets.year_2.team", lambda b: b["targets"]["year_2"].update(team=1.5)),
    ("body.contacts.0.email", lambda b: b["contacts"][0].update(email="not-an-email")),
    ("body.name_zh", lambda b: b.update(name_zh="")),
    ("body.unexpected", lambda b: b.update(unexpected=1)),
]


@pytest.mark.parametrize(("field", "corrupt"), CREATE_CASES)
async def test_a_bad_application_is_refused_naming_the_field_and_nothing_is_written(
    registry: Any, field: str, corrupt: Any
) -> None:
    body = registry.application()
    bad = copy.deepcopy(body)
    corrupt(bad)
    response = await registry.client.post("/api/v1/centers", json=bad, headers=registry.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    found = await registry.client.get(
        "/api/v1/centers", params={"lead_unit_credit_code": body["lead_unit"]["credit_code"]}, headers=registry.admin
    )
    assert found.json()["items"] == []


TRANSITION_CASES = [
    ("submitted", "withdraw", None),
    ("under_review", "review", {"passed": True, "score": 101, "opinion": "x", "experts": ["a"]}),
    ("under_review", "review", {"passed": True, "score": 80, "opinion": "x", "experts": []}),
    ("reviewed", "decision", {"approved": True, "meeting_ref": "m", "decided_on": "yesterday"}),
    ("decided", "public-notice", {}),
    ("public_notice", "objections", {"summary": "x", "raised_by": "y"}),
    ("public_notice", "approve", {"approved_on": "2026-01-01"}),
    ("public_notice", "approve", {"document_no": "x", "approved_on": "2026-01-01", "domain_zh": "仅中文"}),
    ("public_notice", "reject", {}),
    ("building", "tier", {"to_tier": "cosmic", "document_no": "x", "changed_on": "2026-01-01"}),
    ("building", "cancel", {"reason": "x"}),
    ("building", "delist", {"reason": "", "effective_on": "2026-01-01"}),
]


@pytest.mark.parametrize(("state", "action", "body"), TRANSITION_CASES)
async def test_a_bad_transition_body_is_refused_and_the_center_is_untouched(
    registry: Any, state: str, action: str, body: dict[str, Any] | None
) -> None:
    center = await registry.to(state)
    response = await registry.client.post(
        f"/api/v1/centers/{center['id']}/{action}",
        content=b"{not json" if body is None else None,
        json=body,
        headers={**registry.admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]
    after = (await registry.client.get(f"/api/v1/centers/{center['id']}", headers=registry.admin)).json()
    assert (after["status"], after["version"]) == (state, center["version"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/centers", {"limit": 0}),
        ("/api/v1/centers", {"status": "sleeping"}),
        ("/api/v1/centers", {"cursor": "bm90LWEtY3Vyc29y"}),
        ("/api/v1/centers/stats/counts", {"by": "colour"}),
        ("/api/v1/centers/stats/deadlines", {"within_days": -1}),
        ("/api/v1/centers/not-a-uuid", {}),
        ("/api/v1/program-targets", {"year": 1900}),
    ],
)
async def test_bad_queries_are_problems(registry: Any, path: str, params: dict[str, Any]) -> None:
    response = await registry.client.get(path, params=params, headers=registry.admin)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_center_and_objection_are_404(registry: Any) -> None:
    center = await registry.to("public_notice")
    missing = await registry.client.get("/api/v1/centers/00000000-0000-0000-0000-000000000000", headers=registry.admin)
    assert missing.status_code == 404
    resolution = await registry.client.post(
        f"/api/v1/centers/{center['id']}/objections/00000000-0000-0000-0000-000000000000/resolution",
        json={"upheld": True, "note": "x", "resolved_on": "2026-01-01"},
        headers=registry.admin,
    )
    assert resolution.status_code == 404
    unknown_targets = await registry.client.get(
        "/api/v1/program-targets", params={"jurisdiction": "mars"}, headers=registry.admin
    )
    assert unknown_targets.status_code == 404


async def test_a_refusal_names_the_rule_each_field_broke_and_the_rules_figures(registry: Any) -> None:
    """What a client needs to say a refusal in its own words: the rule by its type (the registry's own checks
    under their own), and its figures (a bound, a length) as `context`."""
    body = registry.application()
    bad = copy.deepcopy(body)
    bad["lead_unit"]["credit_code"] = _corrupt(bad["lead_unit"]["credit_code"])
    bad.update(district="atlantis", industrial_chain="链" * 201)
    response = await registry.client.post("/api/v1/centers", json=bad, headers=registry.admin)
    assert response.status_code == 422, response.text
    rules = {(e["field"], e["type"]): e.get("context") for e in response.json()["errors"]}
    assert ("body.lead_unit.credit_code", "credit_code") in rules
    assert ("body.district", "district") in rules
    assert rules[("body.industrial_chain", "string_too_long")] == {"max_length": 200}

    bad = copy.deepcopy(body)
    bad["recommender"] = None
    response = await registry.client.post("/api/v1/centers", json=bad, headers=registry.admin)
    assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [("body", "recommender_required")]

    center = await registry.to("under_review")
    review = {"passed": True, "score": 101, "opinion": "x", "experts": ["a"]}
    response = await registry.client.post(f"/api/v1/centers/{center['id']}/review", json=review, headers=registry.admin)
    assert response.json()["errors"] == [
        {
            "field": "body.score",
            "message": "Input should be less than or equal to 100",
            "type": "less_than_equal",
            "context": {"le": 100},
        }
    ]
