"""The registry's use cases: load a center, ask the lifecycle, save, write history and events. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from registry.api import schemas
from registry.domain import lifecycle
from registry.domain.lifecycle import Action, ApprovalCheck, ApprovalRefused, IllegalTransition, InvalidOutcome
from registry.domain.naming import Domain, NamingError, construction_end, official_names, registry_code
from registry.domain.policy import jurisdiction_of_district, registry_policy
from registry.store import centers as store
from registry.store.tables import messaging
from tic_shared.auth import Principal
from tic_shared.dated_acts import DatedAct, DateRefused, check_act_date
from tic_shared.dated_acts import today as local_today
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
    return local_today()


def _invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "validation-error",
        f"invalid input: {field}: {message}",
        errors=[{"field": field, "message": message, "type": "value_error"}],
    )


# What each act is called where a refused date names it.
ACT_NAMES: dict[Action, str] = {
    Action.SUBMIT: "submission",
    Action.START_REVIEW: "start of the expert review",
    Action.REVIEW: "expert review",
    Action.DECIDE: "decision",
    Action.START_PUBLIC_NOTICE: "start of the public notice",
    Action.RAISE_OBJECTION: "objection",
    Action.RESOLVE_OBJECTION: "objection resolution",
    Action.APPROVE: "approval",
    Action.REJECT: "rejection",
    Action.WITHDRAW: "withdrawal",
    Action.CHANGE_TIER: "tier change",
    Action.COMPLETE_ACCEPTANCE: "acceptance",
    Action.CANCEL: "cancellation",
    Action.DELIST: "delisting",
    Action.CHANGE_GOVERNANCE: "governance change",
    Action.REINSTATE: "reinstatement",
}


def _in_force() -> DatedAct:
    policy = registry_policy()
    return DatedAct(f"policy {policy.in_force_name}", policy.in_force_from)


def last_act(row: Row[Any]) -> DatedAct | None:
    """The latest dated act on the center's record: every later act is dated on or after it."""
    return DatedAct(row.last_act, row.last_act_on) if row.last_act_on is not None else None


def _date_refused(refused: DateRefused) -> Problem:
    extra: Details = {}
    if refused.conflicts_with is not None:
        extra["conflicts_with"] = {"act": refused.conflicts_with.name, "on": refused.conflicts_with.on.isoformat()}
    return Problem(
        422,
        "act-date-refused",
        f"{refused.field}: {refused.detail}",
        errors=[{"field": refused.field, "message": refused.detail, "type": "date_refused"}],
        **extra,
    )


def check_date(
    row: Row[Any] | None,
    *,
    field: str,
    act: str,
    on: date,
    window: tuple[DatedAct, DatedAct | None] | None = None,
) -> None:
    """POLICY §4a for one act of the center `row`: 422 naming the act the date conflicts with."""
    try:
        check_act_date(
            field=field,
            act=act,
            on=on,
            today=_today(),
            in_force=_in_force(),
            follows=last_act(row) if row is not None else None,
            window=window,
        )
    except DateRefused as refused:
        raise _date_refused(refused) from refused


def _dump(items: Sequence[BaseModel] | BaseModel | None) -> Any:
    if items is None:
        return None
    if not isinstance(items, BaseModel):
        return [item.model_dump(mode="json", exclude_none=True) for item in items]
    return items.model_dump(mode="json", exclude_none=True)


# ---- creating and editing an application ----


def check_new_application(*, principal: Principal, data: schemas.CenterCreate) -> None:
    """Who may create this application (beyond the body's own validation): refused with 403 naming why."""
    if principal.has_role("center_user") and not principal.sees_everything:
        raise Forbidden("a center user edits its own application; the bureau or its district creates it")
    if principal.has_role("district_officer") and not principal.sees_everything and data.district != principal.district:
        raise Forbidden(f"a district officer recommends only within district {principal.district}")


async def create_center(session: AsyncSession, *, principal: Principal, data: schemas.CenterCreate) -> Row[Any]:
    check_new_application(principal=principal, data=data)
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

Window = Callable[[Row[Any]], tuple[DatedAct, DatedAct | None] | None]


async def _transition(
    session: AsyncSession,
    *,
    center_id: uuid.UUID,
    action: Action,
    on: date,
    date_field: str,
    actor: str,
    principal: Principal | None,
    if_match: str | None = None,
    outcome: str | None = None,
    approval: Callable[[Row[Any]], Any] | None = None,
    window: Window | None = None,
    changes: Callable[[Row[Any]], Details] | None = None,
    reason: str | None = None,
    details: Details | None = None,
    event_extra: Details | None = None,
) -> Row[Any]:
    """One act on a center's record: the lifecycle allows it now, its date fits the record (POLICY §4a), the
    center is saved with its events and a history entry, all in the caller's transaction."""
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
    check_date(row, field=date_field, act=ACT_NAMES[action], on=on, window=window(row) if window else None)
    values = changes(row) if changes is not None else {}
    values |= {
        "status": step.to_state.value,
        "sequence": row.sequence + len(step.events),
        "last_act": ACT_NAMES[action],
        "last_act_on": on,
    }
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
            "action": action.value if step.outcome is None else f"{action.value}:{step.outcome.value}",
            "on": on,
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
        "jurisdiction": jurisdiction_of_district(row.district).code,
        "sequence": sequence,
        "name_zh": row.official_name_zh or row.name_zh,
        "name_en": row.official_name_en or row.name_en,
    }
    review = row.review or {}
    builders: dict[str, Callable[[], EventData]] = {
        "CenterSubmitted": lambda: ev.CenterSubmitted(
            **base,
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
        "CenterReinstated": lambda: ev.CenterReinstated(**base, reason=reason or "", **extra),
    }
    return builders[name]()


def _simple(action: Action, date_field: str) -> Callable[..., Awaitable[Row[Any]]]:
    """An act that records who did it, on which day (today unless the body says), and a reason when given."""

    async def run(
        session: AsyncSession,
        *,
        principal: Principal,
        center_id: uuid.UUID,
        if_match: str | None,
        body: schemas.ActIn | None = None,
    ) -> Row[Any]:
        on = body.on if body is not None and body.on is not None else _today()
        return await _transition(
            session,
            center_id=center_id,
            action=action,
            on=on,
            date_field=date_field,
            actor=principal.subject,
            principal=principal,
            if_match=if_match,
            reason=getattr(body, "reason", None),
        )

    return run


submit = _simple(Action.SUBMIT, "body.on")
start_review = _simple(Action.START_REVIEW, "body.on")
reject = _simple(Action.REJECT, "body.on")
withdraw = _simple(Action.WITHDRAW, "body.on")


async def record_review(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.ReviewIn,
    if_match: str | None,
) -> Row[Any]:
    reviewed_on = body.reviewed_on or _today()
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
        on=reviewed_on,
        date_field="body.reviewed_on",
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
        on=body.decided_on,
        date_field="body.decided_on",
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
    # The notice's length is the jurisdiction's: its district is fixed before a notice can start.
    current = await _load(session, principal, center_id)
    ends_on = lifecycle.public_notice_end(jurisdiction_of_district(current.district), body.starts_on)
    return await _transition(
        session,
        center_id=center_id,
        action=Action.START_PUBLIC_NOTICE,
        on=body.starts_on,
        date_field="body.starts_on",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"notice_starts_on": body.starts_on, "notice_ends_on": ends_on},
        details={"starts_on": body.starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )


def _notice_period(row: Row[Any]) -> tuple[DatedAct, DatedAct | None] | None:
    """An objection is raised inside the public notice: from its first day to the day approval becomes possible."""
    if row.notice_starts_on is None or row.notice_ends_on is None:
        return None
    return DatedAct("start of the public notice", row.notice_starts_on), DatedAct(
        "end of the public notice", row.notice_ends_on
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
    updated = await _transition(
        session,
        center_id=center_id,
        action=Action.RAISE_OBJECTION,
        on=body.raised_on,
        date_field="body.raised_on",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        window=_notice_period,
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
    await _load(session, principal, center_id)
    objection = await store.get_objection(session, center_id, objection_id)
    if objection is None:
        raise NotFound("objection", objection_id)
    if objection.status != "open":
        raise Conflict("objection-resolved", f"objection {objection_id} was already {objection.status}")
    outcome = "upheld" if body.upheld else "dismissed"

    def reopen_notice(row: Row[Any]) -> Details:
        if body.upheld or row.notice_starts_on is None:
            return {}
        ends_on = lifecycle.public_notice_end(
            jurisdiction_of_district(row.district), row.notice_starts_on, last_dismissal=body.resolved_on
        )
        return {"notice_ends_on": ends_on}

    updated = await _transition(
        session,
        center_id=center_id,
        action=Action.RESOLVE_OBJECTION,
        on=body.resolved_on,
        date_field="body.resolved_on",
        outcome=outcome,
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=reopen_notice,
        reason=f"objection upheld: {body.note}" if body.upheld else None,
        details={"objection_id": str(objection_id), "note": body.note},
    )
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
    return updated


async def _official_names(session: AsyncSession, row: Row[Any], body: schemas.ApproveIn) -> tuple[str, str]:
    """The names the approval gives (its jurisdiction's pattern); each is unique among the live centers."""
    jurisdiction = jurisdiction_of_district(row.district)
    try:
        if row.tier == "municipal_tic":
            if body.domain_zh is None or body.domain_en is None:
                raise _invalid(
                    "body.domain_zh",
                    "a municipal TIC is named after its own technology domain (the ××× of "
                    f"{jurisdiction.official_names.zh.format(domain_zh='×××')}, "
                    f"{jurisdiction.official_names.clause}): give domain_zh and domain_en",
                )
            names = official_names(jurisdiction, row.field, Domain(body.domain_zh, body.domain_en))
            name_zh, name_en = names.zh, names.en
        else:
            name_zh, name_en = row.name_zh, row.name_en
    except NamingError as bad:
        raise _invalid("body.domain_zh", str(bad)) from bad
    if not name_en:
        raise _invalid("name_en", "an English name is needed to approve a center that is not a municipal TIC")
    # Two approvals of one name at once would both find it free: serialize them on the name.
    await store.lock_name(session, name_zh)
    taken = await store.live_center_named(session, name_zh=name_zh, name_en=name_en, other_than=row.id)
    if taken is not None:
        raise Conflict(
            "name-taken",
            f"the name {name_zh} / {name_en} is held by the live center {taken.code} ({taken.official_name_zh}); "
            "give the domain that distinguishes this center",
            field="body.domain_zh",
            held_by=taken.code,
        )
    return name_zh, name_en


async def approve(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.ApproveIn,
    if_match: str | None,
) -> Row[Any]:
    async def guard(row: Row[Any]) -> ApprovalCheck | None:
        if row.status != lifecycle.State.PUBLIC_NOTICE or row.notice_starts_on is None:
            return None
        dismissed = await store.last_dismissal(session, center_id)
        return ApprovalCheck(
            today=body.approved_on,
            notice_end=lifecycle.public_notice_end(
                jurisdiction_of_district(row.district), row.notice_starts_on, last_dismissal=dismissed
            ),
            open_objections=await store.open_objection_count(session, center_id),
        )

    async def changes_for(row: Row[Any]) -> Details:
        # Names, code and construction period follow the jurisdiction of the center's district.
        jurisdiction = jurisdiction_of_district(row.district)
        start = body.construction_start or body.approved_on
        if start < body.approved_on:
            raise _invalid(
                "body.construction_start",
                f"construction starts with the launch document, not before the approval on {body.approved_on}",
            )
        if start > _today():
            raise _invalid("body.construction_start", f"{start.isoformat()} is in the future")
        try:
            end = construction_end(jurisdiction, start, body.construction_years)
        except NamingError as bad:
            raise _invalid("body.construction_years", str(bad)) from bad
        name_zh, name_en = await _official_names(session, row, body)
        seq = await store.next_code_seq(session, jurisdiction.code, body.approved_on.year)
        return {
            "official_name_zh": name_zh,
            "official_name_en": name_en,
            "code": registry_code(jurisdiction, year=body.approved_on.year, seq=seq),
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
            check_date(row, field="body.approved_on", act=ACT_NAMES[Action.APPROVE], on=body.approved_on)
            prepared.update(await changes_for(row))
        return check

    return await _transition(
        session,
        center_id=center_id,
        action=Action.APPROVE,
        on=body.approved_on,
        date_field="body.approved_on",
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
    async def different(row: Row[Any]) -> None:
        if row.tier == body.to_tier:
            raise _invalid("body.to_tier", f"the center already is {row.tier}")

    return await _transition(
        session,
        center_id=center_id,
        action=Action.CHANGE_TIER,
        on=body.changed_on,
        date_field="body.changed_on",
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
    document_no: str | None = None,
    basis_years: list[int] | None = None,
    reason_en: str | None = None,
    if_match: str | None = None,
    outcome: str | None = None,
    window: Window | None = None,
    date_field: str = "body.effective_on",
) -> Row[Any]:
    """Cancel (取消创建资格) or delist (摘牌): the center's subsidies stop and are clawed back downstream."""
    return await _transition(
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
        changes=lambda row: {"ended_on": effective_on, "end_reason": reason, "ended_from": row.status},
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


def acceptance_window(row: Row[Any]) -> tuple[DatedAct, DatedAct | None] | None:
    """Acceptance (验收) follows the end of construction (001 §5(4)): never while construction runs. The texts
    set no deadline after it, so none is invented here."""
    if row.construction_end is None:
        return None
    return DatedAct("end of the construction period", row.construction_end), None


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
    body: schemas.AcceptanceIn,
    if_match: str | None,
) -> Row[Any]:
    """The bureau records an acceptance concluded elsewhere: passed ⇒ operating, failed ⇒ cancelled."""
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
        reason="; ".join(body.reasons),
        evidence=[body.evaluation_ref] if body.evaluation_ref else [],
        effective_on=body.accepted_on,
        document_no=body.evaluation_ref,
        if_match=if_match,
        window=acceptance_window,
        date_field="body.accepted_on",
    )


async def change_governance(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.GovernanceChangeIn,
    if_match: str | None,
) -> Row[Any]:
    """A change of governance bodies, bases or legal-entity status (001 §4(1)), dated and kept in the history."""
    given = body.model_dump(exclude_unset=True, include={"governance", "bases", "independent_legal_person"})

    def values(row: Row[Any]) -> Details:
        changed: Details = {}
        if "governance" in given:
            changed["governance"] = _dump(body.governance) or []
        if "bases" in given:
            changed["bases"] = _dump(body.bases) or []
        if body.independent_legal_person is not None:
            changed["independent_legal_person"] = body.independent_legal_person
        return changed

    return await _transition(
        session,
        center_id=center_id,
        action=Action.CHANGE_GOVERNANCE,
        on=body.effective_on,
        date_field="body.effective_on",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=values,
        reason=body.reason,
        details={
            "changed": sorted(given),
            "document_no": body.document_no,
            **{name: _dump(getattr(body, name)) for name in ("governance", "bases") if name in given},
            **(
                {"independent_legal_person": body.independent_legal_person}
                if body.independent_legal_person is not None
                else {}
            ),
        },
    )


async def reinstate(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.ReinstateIn,
    if_match: str | None,
) -> Row[Any]:
    """Reverse a delisting or cancellation (a correction or a ruling): back to the state it was ended from."""
    row = await _load(session, principal, center_id)
    ended_by = await store.last_history_with_action(session, center_id, ("delist", "cancel", "complete_acceptance"))
    reversed_event = ended_by.event_ids[-1] if ended_by is not None and ended_by.event_ids else None
    reverses = "CenterDelisted" if row.status == lifecycle.State.DELISTED else "CenterCancelled"
    if row.official_name_zh is not None and row.status in (lifecycle.State.DELISTED, lifecycle.State.CANCELLED):
        await store.lock_name(session, row.official_name_zh)
        taken = await store.live_center_named(
            session, name_zh=row.official_name_zh, name_en=row.official_name_en or "", other_than=row.id
        )
        if taken is not None:
            raise Conflict(
                "name-taken",
                f"the name {row.official_name_zh} was given to the live center {taken.code} since; "
                "rename one of them before reinstating",
                held_by=taken.code,
            )
    return await _transition(
        session,
        center_id=center_id,
        action=Action.REINSTATE,
        on=body.decided_on,
        date_field="body.decided_on",
        outcome=row.ended_from or lifecycle.State.BUILDING.value,
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"ended_on": None, "end_reason": None, "ended_from": None},
        reason=body.reason,
        details={"document_no": body.document_no, "reverses": reverses, "reverses_event_id": reversed_event},
        event_extra={
            "reverses": reverses,
            "reverses_event_id": reversed_event,
            "document_no": body.document_no,
            "decided_on": body.decided_on,
        },
    )


# ---- reading ----


async def get_center(session: AsyncSession, *, principal: Principal, center_id: uuid.UUID) -> Row[Any]:
    return await _load(session, principal, center_id, for_update=False)


async def end_by_bureau(
    session: AsyncSession,
    *,
    action: Action,
    principal: Principal,
    center_id: uuid.UUID,
    body: schemas.EndIn,
    if_match: str | None,
) -> Row[Any]:
    """The bureau cancels or delists a center by its own document."""
    return await end_center(
        session,
        action=action,
        center_id=center_id,
        actor=principal.subject,
        principal=principal,
        reason=body.reason,
        evidence=body.evidence,
        effective_on=body.effective_on,
        document_no=body.document_no,
        if_match=if_match,
    )
