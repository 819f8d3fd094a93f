"""Creating an application and editing it while it is a draft."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.domain import lifecycle
from registry.domain.policy import registry_policy
from registry.service.acts import etag, invalid, load
from registry.store import centers as store
from registry.store.records import CenterRecord
from tic_shared.auth import Principal
from tic_shared.http import check_if_match
from tic_shared.problems import Forbidden, TransitionConflict
from tic_shared.reach import Reach

# An application's fields as the request gives them (JSON: enums by value, nested parts as objects and lists).
Application = Mapping[str, Any]

# The application's parts stored as JSON, and what each is when empty.
_JSON_PARTS: dict[str, Any] = {
    "co_builders": [],
    "contacts": [],
    "plan": [],
    "targets": {},
    "governance": [],
    "bases": [],
}
_SCALARS = (
    "name_zh",
    "name_en",
    "tier",
    "origin",
    "field",
    "recommender",
    "industrial_chain",
    "district",
    "independent_legal_person",
)


def _lead_unit_columns(lead_unit: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "lead_unit_name": lead_unit["name"],
        "lead_unit_credit_code": lead_unit["credit_code"],
        "lead_unit_type": lead_unit["type"],
    }


def check_new_application(*, principal: Principal, district: str) -> None:
    """Who may create an application in `district` (beyond the body's own validation): 403 naming why."""
    if principal.has_role("center_user") and not principal.sees_everything:
        raise Forbidden("a center user edits its own application; the bureau or its district creates it")
    if principal.has_role("district_officer") and not principal.sees_everything and district != principal.district:
        raise Forbidden(f"a district officer recommends only within district {principal.district}")


async def create_center(session: AsyncSession, *, principal: Principal, application: Application) -> CenterRecord:
    check_new_application(principal=principal, district=application["district"])
    values = {name: application.get(name) for name in _SCALARS}
    values |= {name: application.get(name) or empty for name, empty in _JSON_PARTS.items()}
    center = await store.insert_center(
        session,
        {
            **values,
            **_lead_unit_columns(application["lead_unit"]),
            "id": uuid.uuid4(),
            "status": lifecycle.State.DRAFT.value,
            "independent_legal_person": bool(application.get("independent_legal_person")),
            "created_by": principal.subject,
        },
    )
    await store.add_history(
        session,
        {"center_id": center.id, "actor": principal.subject, "action": "create", "to_state": "draft"},
    )
    return center


async def update_draft(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    changes: Application,
    if_match: str | None,
) -> CenterRecord:
    """Change the fields given in `changes` (the others stay); only a draft can be edited."""
    center = await load(session, principal=principal, center_id=center_id)
    check_if_match(if_match, etag(center))
    if center.status != lifecycle.State.DRAFT:
        raise TransitionConflict(
            "not-a-draft",
            f"only a draft can be edited; the center is {center.status}",
            current_state=center.status,
            allowed_actions=lifecycle.allowed_actions(center.status),
        )
    if "district" in changes and Reach.of(principal).district not in (None, changes["district"]):
        raise Forbidden(f"a district officer recommends only within district {principal.district}")
    origin = changes.get("origin", center.origin)
    recommender = changes.get("recommender", center.recommender)
    if origin in registry_policy().recommender_required and not recommender:
        raise invalid(
            "body.recommender",
            "recommender is required for a recommended application",
            error_type="recommender_required",
        )
    values = {name: changes[name] for name in _SCALARS if name in changes}
    values |= {name: changes[name] or empty for name, empty in _JSON_PARTS.items() if name in changes}
    if changes.get("lead_unit") is not None:
        values |= _lead_unit_columns(changes["lead_unit"])
    if not values:
        return center
    updated = await store.update_center(session, center_id=center_id, values=values)
    await store.add_history(
        session,
        {
            "center_id": center_id,
            "actor": principal.subject,
            "action": "update",
            "from_state": center.status,
            "to_state": center.status,
            "details": {"changed": sorted(values)},
        },
    )
    return updated
