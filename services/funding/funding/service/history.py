"""A center's funding history: everything funding knows of one center, in one answer."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from funding.service.caps import CapStanding, caps_of_center
from funding.service.centers import center_in_reach
from funding.service.ledger import LedgerStanding, ledger_standing
from funding.store import clawbacks, grants
from funding.store.records import CenterRecord, LocatedClawback, LocatedGrant
from tic_shared.auth import Principal
from tic_shared.reach import Reach


@dataclass(frozen=True)
class FundingHistory:
    center: CenterRecord
    grants: list[LocatedGrant]
    ledger: LedgerStanding
    # The history has never named the clawback's district (the center above names it).
    clawback: LocatedClawback | None
    caps: list[CapStanding]


async def get_funding_history(session: AsyncSession, *, principal: Principal, center_id: uuid.UUID) -> FundingHistory:
    center = await center_in_reach(session, principal=principal, center_id=center_id)
    clawback = await clawbacks.clawback_of(session, center_id=center_id)
    return FundingHistory(
        center=center,
        grants=await grants.list_grants(session, reach=Reach.of(principal), center_id=center_id),
        ledger=await ledger_standing(session, center_id=center_id),
        clawback=None if clawback is None else LocatedClawback(clawback, district=None),
        caps=await caps_of_center(session, principal=principal, center_id=center_id),
    )
