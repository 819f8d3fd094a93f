"""The registry's use cases: load a center, ask the lifecycle, save, write history and events. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from registry.api import schemas
from registry.domain import lifecycle
from registry.domain.lifecycle import Action, ApprovalCheck, ApprovalRefused, IllegalTransition, InvalidOutcome
from registry.domain.naming import Domain, NamingError, construction_end, official_names, registry_code
from registry.domain.policy import registry_policy
from registry.store import centers as store
from registry.store.tables import messaging
from tic_shared.auth import Principal
from tic_shared.events import EventData
from tic_shared.events import catalog as ev
from tic_shared.http import check_if_match, etag_for
from tic_shared.outbox import record_event
from tic_shared.problems import Conflict, Forbidden, NotFound, Problem, TransitionConflict

Details = dict[str, Any]


def reach_of(principal: Principal) -> store.Reach:
    """Row-level scoping: bureau staff and systems see every center, a district officer its district's, a
    center user its own center, anyone else none."""
    if principal.sees_everything:
        return store.Reach(everything=True)
    if principal.has_role("district_officer") and principal.district:
        return store.Reach(district=principal.district)
    if principal.has_role("center_user") and principal.center_id:
        return store.Reach(center_id=principal.center_id)
    return store.Reach()


SYSTEM = store.Reach(everything=True)


def etag(row: Row[Any]) -> str:
    return etag_for(row.id, row.version)


def _today() -> date:
    return datetime.now(UTC).date()


def _invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "validation-error",
        f"invalid input: {field}: {message}",
        errors=[{"field": field, "message": message, "type": "value_error"}],
    )


def _not_in_future(field: str, value: date) -> None:
    if value > _today():
        raise _invalid(field, f"{value.isoformat()} is in the future; record an act once it has happened")


def _dump(items: Sequence[BaseModel] | BaseModel | None) -> Any:
    if items is None:
        return None
    if not isinstance(items, BaseModel):
        return [item.model_dump(mode="json", exclude_none=True) for item in items]
    return items.model_dump(mode="json", exclude_none=True)


# ---- creating and editing an application ----


async def create_center(session: AsyncSession, *, principal: Principal, data: schemas.CenterCreate) -> Row[Any]:
    if principal.has_role("center_user") and not principal.sees_everything:
        raise Forbidden("a center user edits its own application; the bureau or its district creates it")
    if principal.has_role("district_officer") and not principal.sees_everything and data.district != principal.district:
        raise Forbidden(f"a district officer recommends only within district {principal.district}")
    center_id = uuid.uuid4()
    await store.insert_center(
        session,
        {
            "id": center_id,
            "name_zh": data.name_zh,
            "name_en": data.name_en,
            "tier": data.tier.value,
            "status": lifecycle.State.DRAFT.value,
            "origin": data.origin.value,
            "recommender": data.recommender,
            "field": data.field.value,
            "industrial_chain": data.industrial_chain,
            "district": data.district,
            "lead_unit_name": data.lead_unit.name,
            "lead_unit_credit_code": data.lead_unit.credit_code,
            "lead_unit_type": data.lead_unit.type.value,
            "co_builders": _dump(data.co_builders) or [],
            "contacts": _dump(data.contacts) or [],
            "plan": _dump(data.plan) or [],
            "targets": _dump(data.targets) or {},
            "governance": _dump(data.governance) or [],
            "bases": _dump(data.bases) or [],
            "independent_legal_person": bool(data.independent_legal_person),
            "created_by": principal.subject,
        },
    )
    await store.add_history(
        session,
        {"center_id": center_id, "actor": principal.subject, "action": "create", "to_state": "draft"},
    )
    row = await store.get_center(session, center_id, SYSTEM)
    assert row is not None
    return row


async def update_draft(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    patch: schemas.CenterUpdate,
    if_match: str | None,
) -> Row[Any]:
    row = await _load(session, principal, center_id)
    check_if_match(if_match, etag(row))
    if row.status != lifecycle.State.DRAFT:
        raise TransitionConflict(
            "not-a-draft",
            f"only a draft can be edited; the center is {row.status}",
            current_state=row.status,
            allowed_actions=lifecycle.allowed_actions(row.status),
        )
    given = patch.model_dump(exclude_unset=True)
    if "district" in given and reach_of(principal).district not in (None, given["district"]):
        raise Forbidden(f"a district officer recommends only within district {principal.district}")
    origin = given.get("origin", row.origin)
    recommender = given.get("recommender", row.recommender)
    if origin in registry_policy().recommender_required and not recommender:
        raise _invalid("body.recommender", "recommender is required for a recommended application")
    values: Details = {}
    for name in ("name_zh", "name_en", "recommender", "industrial_chain", "district", "independent_legal_person"):
        if name in given:
            values[name] = given[name]
    for name in ("tier", "origin", "field"):
        if name in given:
            values[name] = str(given[name])
    if patch.lead_unit is not None:
        values |= {
            "lead_unit_name": patch.lead_unit.name,
            "lead_unit_credit_code": patch.lead_unit.credit_code,
            "lead_unit_type": patch.lead_unit.type.value,
        }
    for name in ("co_builders", "contacts", "plan", "targets", "governance", "bases"):
        if name in given:
            values[name] = _dump(getattr(patch, name)) or ([] if name != "targets" else {})
    if not values:
        return row
    updated = await store.update_center(session, center_id, values)
    await store.add_history(
        session,
        {
            "center_id": center_id,
            "actor": principal.subject,
            "action": "update",
            "from_state": row.status,
            "to_state": row.status,
            "details": {"changed": sorted(values)},
        },
    )
    return updated


async def _load(
    session: AsyncSession, principal: Principal | None, center_id: uuid.UUID, *, for_update: bool = True
) -> Row[Any]:
    reach = SYSTEM if principal is None else reach_of(principal)
    row = await store.get_center(session, center_id, reach, for_update=for_update)
    if row is None:
        raise NotFound("center", center_id)
    return row


# ---- the lifecycle ----


async def _transition(
    session: AsyncSession,
    *,
    center_id: uuid.UUID,
    action: Action,
    actor: str,
    principal: Principal | None,
    if_match: str | None = None,
    outcome: str | None = None,
    approval: Callable[[Row[Any]], Any] | None = None,
    changes: Callable[[Row[Any]], Details] | None = None,
    reason: str | None = None,
    details: Details | None = None,
    event_extra: Details | None = None,
) -> Row[Any]:
    row = await _load(session, principal, center_id)
    check_if_match(if_match, etag(row))
    try:
        guard = await approval(row) if approval is not None else None
        step = lifecycle.transition(row.status, action, outcome, approval=guard)
    except ApprovalRefused as refused:
        raise TransitionConflict(
            refused.reason.value.replace("_", "-"),
            refused.detail,
            current_state=row.status,
            allowed_actions=refused.allowed_actions,
        ) from refused
    except IllegalTransition as illegal:
        raise TransitionConflict(
            "illegal-transition",
            illegal.detail,
            current_state=row.status,
            allowed_actions=illegal.allowed_actions,
        ) from illegal
    except InvalidOutcome as invalid:
        raise _invalid("body", str(invalid)) from invalid
    values = changes(row) if changes is not None else {}
    values |= {"status": step.to_state.value, "sequence": row.sequence + len(step.events)}
    updated = await store.update_center(session, center_id, values)
    event_ids = []
    for offset, name in enumerate(step.events, start=1):
        data = _event_data(name.value, updated, row, row.sequence + offset, event_extra or {}, reason)
        event = await record_event(session, messaging.outbox, data, subject=str(center_id))
        event_ids.append(str(event.id))
    await store.add_history(
        session,
        {
            "center_id": center_id,
            "actor": actor,
            "action": action.value if outcome is None else f"{action.value}:{outcome}",
            "from_state": row.status,
            "to_state": step.to_state.value,
            "reason": reason,
            "details": details or {},
            "event_ids": event_ids,
        },
    )
    return updated


def _lead_unit(row: Row[Any]) -> ev.LeadUnit:
    return ev.LeadUnit(name=row.lead_unit_name, credit_code=row.lead_unit_credit_code, type=row.lead_unit_type)


def _event_data(
    name: str, row: Row[Any], before: Row[Any], sequence: int, extra: Details, reason: str | None
) -> EventData:
    """The event `name` for the center as it is after the transition."""
    base: Details = {
        "center_id": row.id,
        "code": row.code,
        "tier": row.tier,
        "status": row.status,
        "district": row.district,
        "sequence": sequence,
    }
    review = row.review or {}
    builders: dict[str, Callable[[], EventData]] = {
        "CenterSubmitted": lambda: ev.CenterSubmitted(
            **base,
            name_zh=row.name_zh,
            field=row.field,
            origin=row.origin,
            recommender=row.recommender,
            lead_unit=_lead_unit(row),
            contacts=row.contacts,
        ),
        "CenterReviewCompleted": lambda: ev.CenterReviewCompleted(
            **base, passed=review.get("passed", False), score=review.get("score"), opinion=review.get("opinion")
        ),
        "CenterPublicNoticeStarted": lambda: ev.CenterPublicNoticeStarted(
            **base, notice_starts_on=row.notice_starts_on, notice_ends_on=row.notice_ends_on
        ),
        "CenterObjectionRaised": lambda: ev.CenterObjectionRaised(**base, **extra),
        "CenterApproved": lambda: ev.CenterApproved(
            **base,
            name_zh=row.official_name_zh,
            name_en=row.official_name_en,
            field=row.field,
            lead_unit=_lead_unit(row),
            contacts=row.contacts,
            recommender=row.recommender,
            document_no=row.document_no,
            approved_on=row.approved_on,
            construction_start=row.construction_start,
            construction_end=row.construction_end,
            targets=row.targets,
            origin=row.origin,
            industrial_chain=row.industrial_chain,
            independent_legal_person=row.independent_legal_person,
        ),
        "CenterRejected": lambda: ev.CenterRejected(**base, reason=reason or "", stage=before.status),
        "CenterWithdrawn": lambda: ev.CenterWithdrawn(**base, reason=reason),
        "CenterTierChanged": lambda: ev.CenterTierChanged(**base, from_tier=before.tier, to_tier=row.tier, **extra),
        "CenterAccepted": lambda: ev.CenterAccepted(**base, **extra),
        "CenterCancelled": lambda: ev.CenterCancelled(**base, reason=reason or "", **extra),
        "CenterDelisted": lambda: ev.CenterDelisted(**base, reason=reason or "", **extra),
    }
    return builders[name]()


def _simple(action: Action) -> Callable[..., Awaitable[Row[Any]]]:
    """A transition that records only who did it, and the reason when its body carries one."""

    async def run(
        session: AsyncSession,
        *,
        principal: Principal,
        center_id: uuid.UUID,
        if_match: str | None,
        body: schemas.ReasonIn | schemas.WithdrawIn | None = None,
    ) -> Row[Any]:
        return await _transition(
            session,
            center_id=center_id,
            action=action,
            actor=principal.subject,
            principal=principal,
            if_match=if_match,
            reason=body.reason if body is not None else None,
        )

    return run


submit = _simple(Action.SUBMIT)
start_review = _simple(Action.START_REVIEW)
reject = _simple(Action.REJECT)
withdraw = _simple(Action.WITHDRAW)


async def record_review(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.ReviewIn,
    if_match: str | None,
) -> Row[Any]:
    reviewed_on = body.reviewed_on or _today()
    _not_in_future("body.reviewed_on", reviewed_on)
    review = {
        "passed": body.passed,
        "score": float(body.score),
        "opinion": body.opinion,
        "experts": body.experts,
        "reviewed_on": reviewed_on.isoformat(),
    }
    return await _transition(
        session,
        center_id=center_id,
        action=Action.REVIEW,
        outcome="passed" if body.passed else "failed",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"review": review},
        reason=None if body.passed else f"expert review not passed: {body.opinion}",
        details=review,
    )


async def record_decision(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.DecisionIn,
    if_match: str | None,
) -> Row[Any]:
    _not_in_future("body.decided_on", body.decided_on)
    decision = {
        "approved": body.approved,
        "meeting_ref": body.meeting_ref,
        "decided_on": body.decided_on.isoformat(),
        "reason": body.reason,
    }
    return await _transition(
        session,
        center_id=center_id,
        action=Action.DECIDE,
        outcome="approved" if body.approved else "rejected",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"decision": decision},
        reason=body.reason,
        details=decision,
    )


async def start_public_notice(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.PublicNoticeIn,
    if_match: str | None,
) -> Row[Any]:
    ends_on = lifecycle.public_notice_end(body.starts_on)
    return await _transition(
        session,
        center_id=center_id,
        action=Action.START_PUBLIC_NOTICE,
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"notice_starts_on": body.starts_on, "notice_ends_on": ends_on},
        details={"starts_on": body.starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )


async def raise_objection(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.ObjectionIn,
    if_match: str | None,
) -> tuple[Row[Any], uuid.UUID]:
    objection_id = uuid.uuid4()

    async def within_notice(row: Row[Any]) -> None:
        if row.notice_starts_on is not None and body.raised_on < row.notice_starts_on:
            raise _invalid("body.raised_on", f"the public notice started on {row.notice_starts_on.isoformat()}")

    updated = await _transition(
        session,
        center_id=center_id,
        action=Action.RAISE_OBJECTION,
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        approval=within_notice,
        details={"objection_id": str(objection_id), "raised_by": body.raised_by},
        reason=body.summary,
        event_extra={"objection_id": objection_id, "summary": body.summary},
    )
    await store.add_objection(
        session,
        {
            "id": objection_id,
            "center_id": center_id,
            "summary": body.summary,
            "raised_by": body.raised_by,
            "raised_on": body.raised_on,
            "recorded_by": principal.subject,
        },
    )
    return updated, objection_id


async def resolve_objection(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    objection_id: uuid.UUID,
    body: schemas.ResolutionIn,
    if_match: str | None,
) -> Row[Any]:
    _not_in_future("body.resolved_on", body.resolved_on)
    await _load(session, principal, center_id)
    objection = await store.get_objection(session, center_id, objection_id)
    if objection is None:
        raise NotFound("objection", objection_id)
    if objection.status != "open":
        raise Conflict("objection-resolved", f"objection {objection_id} was already {objection.status}")
    outcome = "upheld" if body.upheld else "dismissed"
    await store.resolve_objection(
        session,
        objection_id,
        {
            "status": outcome,
            "resolution_note": body.note,
            "resolved_on": body.resolved_on,
            "resolved_by": principal.subject,
        },
    )

    def reopen_notice(row: Row[Any]) -> Details:
        if body.upheld or row.notice_starts_on is None:
            return {}
        return {"notice_ends_on": lifecycle.public_notice_end(row.notice_starts_on, last_dismissal=body.resolved_on)}

    return await _transition(
        session,
        center_id=center_id,
        action=Action.RESOLVE_OBJECTION,
        outcome=outcome,
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=reopen_notice,
        reason=f"objection upheld: {body.note}" if body.upheld else None,
        details={"objection_id": str(objection_id), "note": body.note},
    )


async def approve(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.ApproveIn,
    if_match: str | None,
) -> Row[Any]:
    _not_in_future("body.approved_on", body.approved_on)

    async def guard(row: Row[Any]) -> ApprovalCheck | None:
        if row.status != lifecycle.State.PUBLIC_NOTICE or row.notice_starts_on is None:
            return None
        dismissed = await store.last_dismissal(session, center_id)
        return ApprovalCheck(
            today=body.approved_on,
            notice_end=lifecycle.public_notice_end(row.notice_starts_on, last_dismissal=dismissed),
            open_objections=await store.open_objection_count(session, center_id),
        )

    async def changes_for(row: Row[Any]) -> Details:
        try:
            if row.tier == "municipal_tic":
                domain = Domain(body.domain_zh, body.domain_en) if body.domain_zh and body.domain_en else None
                names = official_names(row.field, domain)
                name_zh, name_en = names.zh, names.en
            else:
                name_zh, name_en = row.name_zh, row.name_en
            start = body.construction_start or body.approved_on
            end = construction_end(start, body.construction_years)
        except NamingError as bad:
            raise _invalid("body", str(bad)) from bad
        if not name_en:
            raise _invalid("name_en", "an English name is needed to approve a center that is not a municipal TIC")
        seq = await store.next_code_seq(session, body.approved_on.year)
        return {
            "official_name_zh": name_zh,
            "official_name_en": name_en,
            "code": registry_code(year=body.approved_on.year, seq=seq),
            "document_no": body.document_no,
            "approved_on": body.approved_on,
            "tier_since": body.approved_on,
            "construction_start": start,
            "construction_end": end,
        }

    prepared: Details = {}

    async def guard_then_prepare(row: Row[Any]) -> ApprovalCheck | None:
        check = await guard(row)
        if check is not None:
            # Refuse before allocating a registry code: a refused approval leaves nothing behind.
            lifecycle.transition(row.status, Action.APPROVE, approval=check)
            prepared.update(await changes_for(row))
        return check

    return await _transition(
        session,
        center_id=center_id,
        action=Action.APPROVE,
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        approval=guard_then_prepare,
        changes=lambda _: prepared,
        details={"document_no": body.document_no, "approved_on": body.approved_on.isoformat()},
    )


async def change_tier(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.TierChangeIn,
    if_match: str | None,
) -> Row[Any]:
    _not_in_future("body.changed_on", body.changed_on)

    async def different(row: Row[Any]) -> None:
        if row.tier == body.to_tier:
            raise _invalid("body.to_tier", f"the center already is {row.tier}")

    return await _transition(
        session,
        center_id=center_id,
        action=Action.CHANGE_TIER,
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        approval=different,
        changes=lambda _: {"tier": body.to_tier.value, "tier_since": body.changed_on},
        details={"to_tier": body.to_tier.value, "document_no": body.document_no},
        event_extra={"document_no": body.document_no, "changed_on": body.changed_on},
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
    if_match: str | None = None,
    outcome: str | None = None,
) -> Row[Any]:
    """Cancel (取消创建资格) or delist (摘牌): the center's subsidies stop and are clawed back downstream."""
    _not_in_future("body.effective_on", effective_on)
    return await _transition(
        session,
        center_id=center_id,
        action=action,
        outcome=outcome,
        actor=actor,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"ended_on": effective_on, "end_reason": reason},
        reason=reason,
        details={"evidence": evidence},
        event_extra={"evidence": evidence, "effective_on": effective_on},
    )


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
) -> Row[Any]:
    """A passed acceptance evaluation (验收): the center moves from building to operating."""
    return await _transition(
        session,
        center_id=center_id,
        action=Action.COMPLETE_ACCEPTANCE,
        outcome="passed",
        actor=actor,
        principal=principal,
        if_match=if_match,
        details={"evaluation_id": str(evaluation_id) if evaluation_id else None, **(details or {})},
        event_extra={"accepted_on": accepted_on, "evaluation_id": evaluation_id},
    )


async def record_acceptance(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.AcceptanceIn,
    if_match: str | None,
) -> Row[Any]:
    """The bureau records an acceptance concluded elsewhere: passed ⇒ operating, failed ⇒ cancelled."""
    _not_in_future("body.accepted_on", body.accepted_on)
    if body.passed:
        return await complete_acceptance(
            session,
            center_id=center_id,
            evaluation_id=None,
            accepted_on=body.accepted_on,
            actor=principal.subject,
            principal=principal,
            if_match=if_match,
            details={"evaluation_ref": body.evaluation_ref},
        )
    return await end_center(
        session,
        action=Action.COMPLETE_ACCEPTANCE,
        outcome="failed",
        center_id=center_id,
        actor=principal.subject,
        principal=principal,
        reason="acceptance failed: " + "; ".join(body.reasons),
        evidence=[body.evaluation_ref] if body.evaluation_ref else [],
        effective_on=body.accepted_on,
        if_match=if_match,
    )


# ---- reading ----


async def get_center(session: AsyncSession, *, principal: Principal, center_id: uuid.UUID) -> Row[Any]:
    return await _load(session, principal, center_id, for_update=False)
