"""The life of a launched center: tier changes, governance changes, acceptance (验收), cancellation (取消创建资格)
and delisting (摘牌), and the reinstatement that reverses an ending."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.domain import lifecycle
from registry.domain.lifecycle import Action
from registry.service.acts import Details, Window, invalid, load, transition
from registry.store import centers as store
from registry.store.records import CenterRecord
from tic_shared.auth import Principal
from tic_shared.dated_acts import DatedAct
from tic_shared.problems import Conflict
from tic_shared.vocabulary import Tier


async def change_tier(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    to_tier: Tier,
    document_no: str,
    changed_on: date,
    if_match: str | None,
) -> CenterRecord:
    """Recognised at another tier (provincial or national): counts toward that tier's targets from `changed_on`."""

    async def different(center: CenterRecord) -> None:
        if center.tier == to_tier:
            raise invalid("body.to_tier", f"the center already is {center.tier}")

    return await transition(
        session,
        center_id=center_id,
        action=Action.CHANGE_TIER,
        on=changed_on,
        date_field="body.changed_on",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        approval=different,
        changes=lambda _: {"tier": to_tier.value, "tier_since": changed_on},
        details={"to_tier": to_tier.value, "document_no": document_no},
        event_extra={"document_no": document_no, "changed_on": changed_on},
    )


async def change_governance(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    changes: Mapping[str, Any],
    effective_on: date,
    document_no: str | None,
    reason: str,
    if_match: str | None,
) -> CenterRecord:
    """A change of governance bodies, bases or legal-entity status (001 §4(1)), dated and kept in the history.
    `changes` holds the parts given (lists replace the current ones)."""
    values: Details = {name: changes[name] or [] for name in ("governance", "bases") if name in changes}
    if changes.get("independent_legal_person") is not None:
        values["independent_legal_person"] = changes["independent_legal_person"]
    return await transition(
        session,
        center_id=center_id,
        action=Action.CHANGE_GOVERNANCE,
        on=effective_on,
        date_field="body.effective_on",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: values,
        reason=reason,
        details={
            "changed": sorted(changes),
            "document_no": document_no,
            **{name: changes[name] for name in ("governance", "bases") if name in changes},
            **(
                {"independent_legal_person": values["independent_legal_person"]}
                if "independent_legal_person" in values
                else {}
            ),
        },
    )


async def end_center(
    session: AsyncSession,
    *,
    action: Action,
    center_id: uuid.UUID,
    actor: str,
    principal: Principal | None,
    reason: str,
    evidence: list[str],
    effective_on: date,
    document_no: str | None = None,
    basis_years: list[int] | None = None,
    reason_en: str | None = None,
    if_match: str | None = None,
    outcome: str | None = None,
    window: Window | None = None,
    date_field: str = "body.effective_on",
) -> CenterRecord:
    """Cancel (取消创建资格) or delist (摘牌): the center's subsidies stop and are clawed back downstream."""
    return await transition(
        session,
        center_id=center_id,
        action=action,
        on=effective_on,
        date_field=date_field,
        outcome=outcome,
        actor=actor,
        principal=principal,
        if_match=if_match,
        window=window,
        changes=lambda center: {"ended_on": effective_on, "end_reason": reason, "ended_from": center.status},
        reason=reason,
        details={"evidence": evidence, "document_no": document_no, "basis_years": basis_years or []},
        event_extra={
            "evidence": evidence,
            "effective_on": effective_on,
            "document_no": document_no,
            "basis_years": basis_years or [],
            "reason_en": reason_en,
        },
    )


async def end_by_bureau(
    session: AsyncSession,
    *,
    action: Action,
    principal: Principal,
    center_id: uuid.UUID,
    reason: str,
    document_no: str,
    evidence: list[str],
    effective_on: date,
    if_match: str | None,
) -> CenterRecord:
    """The bureau cancels or delists a center by its own document."""
    return await end_center(
        session,
        action=action,
        center_id=center_id,
        actor=principal.subject,
        principal=principal,
        reason=reason,
        evidence=evidence,
        effective_on=effective_on,
        document_no=document_no,
        if_match=if_match,
    )


def acceptance_window(center: CenterRecord) -> tuple[DatedAct, DatedAct | None] | None:
    """Acceptance (验收) follows the end of construction (001 §5(4)): never while construction runs. The texts
    set no deadline after it, so none is invented here."""
    if center.construction_end is None:
        return None
    return DatedAct("end of the construction period", center.construction_end), None


async def complete_acceptance(
    session: AsyncSession,
    *,
    center_id: uuid.UUID,
    evaluation_id: uuid.UUID | None,
    accepted_on: date,
    actor: str = "system:evaluation",
    principal: Principal | None = None,
    if_match: str | None = None,
    details: Details | None = None,
) -> CenterRecord:
    """A passed acceptance evaluation (验收): the center moves from building to operating."""
    return await transition(
        session,
        center_id=center_id,
        action=Action.COMPLETE_ACCEPTANCE,
        on=accepted_on,
        date_field="body.accepted_on",
        outcome="passed",
        actor=actor,
        principal=principal,
        if_match=if_match,
        window=acceptance_window,
        details={"evaluation_id": str(evaluation_id) if evaluation_id else None, **(details or {})},
        event_extra={"accepted_on": accepted_on, "evaluation_id": evaluation_id},
    )


async def record_acceptance(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    passed: bool,
    accepted_on: date,
    reasons: list[str],
    evaluation_ref: str | None,
    if_match: str | None,
) -> CenterRecord:
    """The bureau records an acceptance concluded elsewhere: passed ⇒ operating, failed ⇒ cancelled."""
    if passed:
        return await complete_acceptance(
            session,
            center_id=center_id,
            evaluation_id=None,
            accepted_on=accepted_on,
            actor=principal.subject,
            principal=principal,
            if_match=if_match,
            details={"evaluation_ref": evaluation_ref},
        )
    return await end_center(
        session,
        action=Action.COMPLETE_ACCEPTANCE,
        outcome="failed",
        center_id=center_id,
        actor=principal.subject,
        principal=principal,
        reason="; ".join(reasons),
        evidence=[evaluation_ref] if evaluation_ref else [],
        effective_on=accepted_on,
        document_no=evaluation_ref,
        if_match=if_match,
        window=acceptance_window,
        date_field="body.accepted_on",
    )


async def reinstate(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    document_no: str,
    decided_on: date,
    reason: str,
    if_match: str | None,
) -> CenterRecord:
    """Reverse a delisting or cancellation (a correction or a ruling): back to the state it was ended from."""
    center = await load(session, principal=principal, center_id=center_id)
    ended_by = await store.last_history_with_action(
        session, center_id=center_id, actions=("delist", "cancel", "complete_acceptance")
    )
    reversed_event = ended_by.event_ids[-1] if ended_by is not None and ended_by.event_ids else None
    reverses = "CenterDelisted" if center.status == lifecycle.State.DELISTED else "CenterCancelled"
    ended = center.status in (lifecycle.State.DELISTED, lifecycle.State.CANCELLED)
    if center.official_name_zh is not None and ended:
        await store.lock_name(session, name=center.official_name_zh)
        taken = await store.live_center_named(
            session, name_zh=center.official_name_zh, name_en=center.official_name_en or "", other_than=center.id
        )
        if taken is not None:
            raise Conflict(
                "name-taken",
                f"the name {center.official_name_zh} was given to the live center {taken.code} since; "
                "rename one of them before reinstating",
                held_by=taken.code,
            )
    return await transition(
        session,
        center_id=center_id,
        action=Action.REINSTATE,
        on=decided_on,
        date_field="body.decided_on",
        outcome=center.ended_from or lifecycle.State.BUILDING.value,
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"ended_on": None, "end_reason": None, "ended_from": None},
        reason=reason,
        details={"document_no": document_no, "reverses": reverses, "reverses_event_id": reversed_event},
        event_extra={
            "reverses": reverses,
            "reverses_event_id": reversed_event,
            "document_no": document_no,
            "decided_on": decided_on,
        },
    )
