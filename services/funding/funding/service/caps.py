"""Each center's grants against its policy's total cap: what was granted, paid, and the room left."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.policy import CapabilityInvestmentShareRule
from funding.service.policies import rules
from funding.store import caps
from funding.store.records import GrantedUnderPolicy
from tic_shared.auth import Principal
from tic_shared.reach import Reach


@dataclass(frozen=True)
class CapStanding:
    """What a center was granted under a policy, against the policy's total cap (None: the policy has none)."""

    granted: GrantedUnderPolicy
    total_cap_fen: int | None
    room_left_fen: int | None


def _standing(granted: GrantedUnderPolicy) -> CapStanding:
    policy = rules().policies.get(granted.policy)
    cap = (
        policy.rule.total_cap_fen.value
        if policy is not None and isinstance(policy.rule, CapabilityInvestmentShareRule)
        else None
    )
    room = None if cap is None else max(0, cap - granted.granted_fen)
    return CapStanding(granted, total_cap_fen=cap, room_left_fen=room)


async def list_caps(
    session: AsyncSession, *, principal: Principal, district: str | None, after: uuid.UUID | None, limit: int
) -> list[CapStanding]:
    """Per center in reach and policy, in center order; `limit` + 1 of them when there is a next page."""
    found = await caps.granted_page(session, reach=Reach.of(principal), district=district, after=after, limit=limit)
    return [_standing(granted) for granted in found]


async def caps_of_center(session: AsyncSession, *, principal: Principal, center_id: uuid.UUID) -> list[CapStanding]:
    found = await caps.granted_to_center(session, reach=Reach.of(principal), center_id=center_id)
    return [_standing(granted) for granted in found]
