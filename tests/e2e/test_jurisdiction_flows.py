"""End to end, registry and funding side by side: the district decides the jurisdiction in both services.

A Weihai center (district huancui) is approved in the registry under Weihai's name and code, and funding opens
and calculates Weihai's creation award for it (威政办字〔2018〕106号 §4(3)) — the award that before could be
quoted but never granted to a real center. A Linhai center is named and coded as Linhai's, and funding, whose
Linhai file names no subsidy policy, projects it under Linhai and grants nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from tic_platform.testing import bearer, eventually, take_to_approval
from tic_shared.dated_acts import today
from tic_shared.jurisdictions import jurisdictions


def _credit_code() -> str:
    from registry.domain.credit_code import check_character

    body = "91371000" + f"{uuid.uuid4().int % 10**9:09d}"
    return body + check_character(body)


async def _approved(
    client: httpx.AsyncClient, admin: dict[str, str], *, district: str, city: str, lead_type: str
) -> dict[str, Any]:
    """A municipal TIC in `district`, taken from application to approval today, each act after the one before."""
    approval = today()

    def before(days: int) -> str:
        return str(approval - timedelta(days=days))

    created = await client.post(
        "/api/v1/centers",
        json={
            "name_zh": f"{city}海洋装备技术创新中心",
            "name_en": "Marine Equipment Center",
            "tier": "municipal_tic",
            "origin": "municipal_initiative",
            "field": "key_core_components",
            "industrial_chain": "海洋装备",
            "district": district,
            "lead_unit": {"name": f"{city}示例海洋装备有限公司", "credit_code": _credit_code(), "type": lead_type},
            "contacts": [{"name": "刘洋", "email": "liuyang@example.cn", "role": "联系人"}],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    tag = uuid.uuid4().hex[:4].upper()
    return await take_to_approval(
        client,
        admin,
        created.json()["id"],
        approved_on=approval,
        document_no=f"政发〔{approval.year}〕8号",
        domain_zh=f"海洋装备{tag}",
        domain_en=f"Marine Equipment {tag}",
        score=90,
    )


def _coded(center: dict[str, Any], jurisdiction: str) -> bool:
    prefix = jurisdictions()[jurisdiction].registry_code.prefix
    return re.fullmatch(rf"{re.escape(prefix)}{today().year}-\d{{3}}", center["code"]) is not None


async def test_a_weihai_center_is_named_coded_and_granted_weihais_creation_award(
    run_service: Any, token: Callable[..., str]
) -> None:
    admin = bearer(token(subject="bureau-e2e-weihai", roles=["bureau_admin"]))
    async with run_service("registry") as (_, reg), run_service("funding") as (_, fund):
        center = await _approved(reg, admin, district="huancui", city="威海市", lead_type="enterprise")
        center_id = center["id"]
        assert center["official_name_zh"].startswith("威海市海洋装备") and center["official_name_zh"].endswith(
            "技术创新中心"
        )
        assert center["official_name_en"].startswith("Weihai Municipal Innovation Center of Marine Equipment")
        assert _coded(center, "weihai"), center["code"]
        assert not center["code"].startswith("NB-")

        # Funding projected CenterApproved under Weihai and opened its creation award, already calculated:
        # 200万元 for a center led by an enterprise (003 §4(3)).
        async def opened() -> dict[str, Any] | None:
            found = (await fund.get(f"/api/v1/centers/{center_id}/funding", headers=admin)).json()
            return found if found.get("grants") else None

        history = await eventually(opened, timeout_s=20)
        assert history["center"]["jurisdiction"] == "weihai"
        assert history["center"]["code"] == center["code"]
        (award,) = history["grants"]
        assert (award["policy"], award["jurisdiction"]) == ("weihai-2018", "weihai")
        assert award["trigger"] == "municipal_tic_established"
        assert award["status"] == "calculated"
        assert award["amount_fen"] == 200_000_000

        # The award is granted to the real center: approved and disbursed onto its ledger.
        for step in ("approve", "disburse"):
            response = await fund.post(f"/api/v1/grants/{award['grant_id']}/{step}", headers=admin)
            assert response.status_code == 200, response.text
        assert response.json()["status"] == "disbursed"


async def test_a_linhai_center_is_named_and_coded_as_linhais_and_funding_grants_nothing(
    run_service: Any, token: Callable[..., str]
) -> None:
    admin = bearer(token(subject="bureau-e2e-linhai", roles=["bureau_admin"]))
    async with run_service("registry") as (_, reg), run_service("funding") as (_, fund):
        center = await _approved(reg, admin, district="taizhou_bay_etdz", city="临海市", lead_type="university")
        center_id = center["id"]
        assert center["official_name_zh"].startswith("临海市海洋装备")
        assert center["official_name_en"].startswith("Linhai Municipal Innovation Center of Marine Equipment")
        assert _coded(center, "linhai"), center["code"]

        async def projected() -> dict[str, Any] | None:
            response = await fund.get(f"/api/v1/centers/{center_id}/funding", headers=admin)
            found = response.json() if response.status_code == 200 else {}
            return found if found.get("center", {}).get("status") == "building" else None

        history = await eventually(projected, timeout_s=20)
        assert history["center"]["jurisdiction"] == "linhai"
        assert jurisdictions()["linhai"].subsidy.policies == ()
        assert history["grants"] == []
