"""A center's ledger (专账): what was disbursed, spent (compliant or not) and repaid, and recording expenditures."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from funding.domain.ledger import LedgerBalance, UnknownCategoryError, category_of
from funding.service.centers import center_in_reach
from funding.service.policies import rules
from funding.store import clawbacks, ledger
from funding.store.records import CenterRecord, LedgerEntryRecord
from tic_shared.auth import Principal
from tic_shared.bounds import MAX_FEN
from tic_shared.dated_acts import DatedAct, DateRefused, check_act_date, today
from tic_shared.problems import Conflict, Problem


@dataclass(frozen=True)
class LedgerStanding:
    """The ledger summed: the balance the clawback rule reads, and what was repaid on top of it."""

    balance: LedgerBalance
    repaid_fen: int


@dataclass(frozen=True)
class LedgerPage:
    center_id: uuid.UUID
    standing: LedgerStanding
    # `limit` + 1 entries when there is a next page.
    entries: list[LedgerEntryRecord]


@dataclass(frozen=True)
class RecordedSpending:
    entry: LedgerEntryRecord
    standing: LedgerStanding


async def ledger_standing(session: AsyncSession, *, center_id: uuid.UUID) -> LedgerStanding:
    sums = await ledger.ledger_sums(session, center_id=center_id)
    balance = LedgerBalance(
        disbursed_fen=sums.disbursed,
        compliant_spent_fen=sums.compliant,
        non_compliant_spent_fen=sums.non_compliant,
        balance_fen=sums.disbursed - sums.compliant - sums.non_compliant,
    )
    return LedgerStanding(balance=balance, repaid_fen=sums.repaid)


async def get_ledger(
    session: AsyncSession, *, principal: Principal, center_id: uuid.UUID, after: int | None, limit: int
) -> LedgerPage:
    await center_in_reach(session, principal=principal, center_id=center_id)
    entries = await ledger.ledger_page(session, center_id=center_id, after=after, limit=limit)
    return LedgerPage(center_id, await ledger_standing(session, center_id=center_id), entries)


async def record_expenditure(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    category: str,
    amount_fen: int,
    spent_on: date | None,
    description: str | None,
) -> RecordedSpending:
    """Spending of subsidy; a forbidden category is recorded too, flagged non-compliant (001 §3(4))."""
    center = await center_in_reach(session, principal=principal, center_id=center_id, lock=True)
    try:
        known = category_of(category, rules().categories)
    except UnknownCategoryError as error:
        raise Problem(422, "unknown-category", f"body.category: {error}") from None
    clawback = await clawbacks.clawback_of(session, center_id=center_id)
    if clawback is not None:
        # The ledger closed when the clawback was ordered: what is owed was fixed on the spending recorded by
        # then. Spending after the center ended is not subsidy use, and spending before it is corrected by
        # reversing the ending, not by changing the sum behind a legal order.
        raise Conflict(
            "ledger-closed",
            f"the ledger of center {center_id} closed when clawback {clawback.clawback_id} was ordered; only "
            "repayments are recorded now",
            clawback_id=str(clawback.clawback_id),
        )
    spent_on = spent_on or today()
    check_spent_on(center=center, spent_on=spent_on)
    # The ledger's sums are stored (a clawback keeps what was spent) as bigint: they too stay within MAX_FEN.
    # The center's row is locked above, so no other expenditure slips in between the sum and the insert.
    spent = (await ledger_standing(session, center_id=center_id)).balance
    if spent.compliant_spent_fen + spent.non_compliant_spent_fen + amount_fen > MAX_FEN:
        raise Problem(
            422,
            "ledger-bound",
            f"body.amount_fen: the center's recorded spending would pass {MAX_FEN} fen, the bound of any sum",
        )
    entry = await ledger.add_entry(
        session,
        values={
            "center_id": center_id,
            "kind": "expenditure",
            "amount_fen": amount_fen,
            "category": known.code,
            "compliant": known.compliant,
            "description": description,
            "occurred_on": spent_on,
            "recorded_by": principal.subject,
        },
    )
    return RecordedSpending(entry, await ledger_standing(session, center_id=center_id))


def _earliest_policy(jurisdiction: str | None) -> DatedAct:
    own = [p for p in rules().policies.values() if p.jurisdiction == jurisdiction] or list(rules().policies.values())
    first = min(own, key=lambda p: p.effective.starts_on)
    return DatedAct(f"policy {first.code}", first.effective.starts_on)


def check_spent_on(*, center: CenterRecord, spent_on: date) -> None:
    """An expenditure is dated like every act (POLICY §4a): not in the future, not before the approval."""
    approved = DatedAct("approval of the center", center.approved_on) if center.approved_on else None
    try:
        check_act_date(
            field="body.spent_on",
            act="expenditure",
            on=spent_on,
            today=today(),
            in_force=_earliest_policy(center.jurisdiction),
            follows=approved,
        )
    except DateRefused as refused:
        raise refused.problem() from refused
