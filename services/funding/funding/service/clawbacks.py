"""Clawbacks: ordered when a center is delisted or cancelled, repaid, and reversed when the ending is."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.ledger import clawback_fen
from funding.service.budgets import release
from funding.service.ledger import ledger_standing
from funding.store import clawbacks, grants, ledger
from funding.store.records import CenterRecord, ClawbackRecord, LocatedClawback
from funding.store.tables import messaging
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import ClawbackOrdered, ClawbackReversed
from tic_shared.http import check_if_match, etag_for
from tic_shared.outbox import record_event
from tic_shared.problems import Conflict, NotFound
from tic_shared.reach import Reach


def clawback_etag(located: LocatedClawback) -> str:
    return _etag(located.record)


def _etag(clawback: ClawbackRecord) -> str:
    return etag_for("clawback", clawback.clawback_id, clawback.version)


# ---- reads ----


async def get_clawback(session: AsyncSession, *, principal: Principal, clawback_id: uuid.UUID) -> LocatedClawback:
    found = await clawbacks.located_clawback(session, reach=Reach.of(principal), clawback_id=clawback_id)
    if found is None:
        raise NotFound("clawback", clawback_id)
    return found


async def list_clawbacks(
    session: AsyncSession,
    *,
    principal: Principal,
    status: str | None,
    district: str | None,
    after: int | None,
    limit: int,
) -> list[LocatedClawback]:
    """The clawbacks in reach, in the order they were ordered; `limit` + 1 of them when there is a next page."""
    return await clawbacks.list_clawbacks(
        session, reach=Reach.of(principal), status=status, district=district, after=after, limit=limit
    )


# ---- the center's ending and its reversal (consumers) ----


async def order_clawback(
    session: AsyncSession, *, center: CenterRecord, event: CloudEvent, reason: str | None
) -> ClawbackRecord | None:
    """CenterDelisted / CenterCancelled: stop the open grants, order back disbursed − compliant spending, once."""
    if await clawbacks.clawback_of(session, center_id=center.center_id) is not None:
        return None
    released = await grants.lock_approved_amounts(session, center_id=center.center_id)
    await grants.stop_open_grants(session, center_id=center.center_id)
    await release(session, amounts=released)
    balance = (await ledger_standing(session, center_id=center.center_id)).balance
    amount = clawback_fen(balance.disbursed_fen, balance.compliant_spent_fen)
    ordered = await clawbacks.insert_clawback(
        session,
        values={
            "clawback_id": uuid.uuid4(),
            "center_id": center.center_id,
            "reason_event_id": event.id,
            "reason_event_type": event.type,
            "reason": reason,
            "disbursed_fen": balance.disbursed_fen,
            "compliant_spent_fen": balance.compliant_spent_fen,
            "non_compliant_spent_fen": balance.non_compliant_spent_fen,
            "amount_fen": amount,
            "status": "outstanding" if amount > 0 else "nothing_due",
        },
    )
    if ordered is None:
        return None
    data = ClawbackOrdered(
        clawback_id=ordered.clawback_id,
        center_id=ordered.center_id,
        disbursed_fen=ordered.disbursed_fen,
        compliant_spent_fen=ordered.compliant_spent_fen,
        amount_fen=ordered.amount_fen,
        reason_event_id=event.id,
        non_compliant_spent_fen=ordered.non_compliant_spent_fen,
        reason_event_type=event.type,
        district=center.district,
    )
    await record_event(session, messaging.outbox, data, subject=str(center.center_id))
    return ordered


async def reverse_ending(session: AsyncSession, *, center: CenterRecord, event: CloudEvent) -> ClawbackRecord | None:
    """CenterReinstated: the ending is undone — its stopped grants come back, its clawback is reversed.

    Money already repaid on the reversed clawback stays on the ledger as repaid; the event says how much, so
    the bureau can settle it (a refund is not this service's to make).
    """
    await grants.restore_stopped_grants(session, center_id=center.center_id)
    clawback = await clawbacks.clawback_of(session, center_id=center.center_id, lock=True)
    if clawback is None:
        return None
    reversed_ = await clawbacks.reverse_clawback(session, clawback_id=clawback.clawback_id, event_id=event.id)
    data = ClawbackReversed(
        clawback_id=reversed_.clawback_id,
        center_id=reversed_.center_id,
        amount_fen=reversed_.amount_fen,
        repaid_fen=reversed_.repaid_fen,
        reason_event_id=event.id,
        district=center.district,
    )
    await record_event(session, messaging.outbox, data, subject=str(center.center_id))
    return reversed_


# ---- repayments ----


async def record_repayment(
    session: AsyncSession,
    *,
    principal: Principal,
    clawback_id: uuid.UUID,
    amount_fen: int,
    repaid_on: date | None,
    if_match: str | None,
) -> LocatedClawback:
    found = await clawbacks.located_clawback(session, reach=Reach.of(principal), clawback_id=clawback_id, lock=True)
    if found is None:
        raise NotFound("clawback", clawback_id)
    clawback = found.record
    check_if_match(if_match, _etag(clawback))
    owed = clawback.amount_fen - clawback.repaid_fen
    if owed == 0:
        raise Conflict("clawback-settled", f"clawback {clawback_id} is {clawback.status}; nothing is owed")
    if amount_fen > owed:
        raise Conflict("overpayment", f"body.amount_fen {amount_fen} exceeds the {owed} fen still owed", owed_fen=owed)
    await ledger.add_entry(
        session,
        values={
            "center_id": clawback.center_id,
            "kind": "repayment",
            "amount_fen": amount_fen,
            "clawback_id": clawback_id,
            "occurred_on": repaid_on or today(),
            "recorded_by": principal.subject,
        },
    )
    repaid = clawback.repaid_fen + amount_fen
    values: dict[str, Any] = {"repaid_fen": repaid}
    if repaid == clawback.amount_fen:
        values |= {"status": "repaid", "repaid_at": datetime.now(UTC)}
    updated = await clawbacks.update_clawback(session, clawback_id=clawback_id, values=values)
    return LocatedClawback(updated, found.district)
