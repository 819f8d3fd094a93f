"""One act on a center's record, the way every act is done: the lifecycle allows it now, its date fits the record
(POLICY §4a), the center is saved with its events and a history entry — all in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.domain import lifecycle
from registry.domain.lifecycle import Action, ApprovalCheck, ApprovalRefused, IllegalTransition, InvalidOutcome
from registry.domain.policy import registry_policy
from registry.service.events import event_for
from registry.store import centers as store
from registry.store.records import CenterRecord
from registry.store.tables import messaging
from tic_shared.auth import Principal
from tic_shared.dated_acts import DatedAct, DateRefused, check_act_date
from tic_shared.dated_acts import today as local_today
from tic_shared.http import check_if_match, etag_for
from tic_shared.outbox import record_event
from tic_shared.problems import NotFound, Problem, TransitionConflict
from tic_shared.reach import EVERYTHING, Reach

Details = dict[str, Any]
Window = Callable[[CenterRecord], tuple[DatedAct, DatedAct | None] | None]

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


def etag(center: CenterRecord) -> str:
    return etag_for(center.id, center.version)


def today() -> date:
    return local_today()


def invalid(field: str, message: str, *, error_type: str = "value_error") -> Problem:
    """422 naming the field, as request validation names it (a rule the request model checks too under its type)."""
    return Problem(
        422,
        "validation-error",
        f"invalid input: {field}: {message}",
        errors=[{"field": field, "message": message, "type": error_type}],
    )


def _in_force() -> DatedAct:
    policy = registry_policy()
    return DatedAct(f"policy {policy.in_force_name}", policy.in_force_from)


def last_act(center: CenterRecord) -> DatedAct | None:
    """The latest dated act on the center's record: every later act is dated on or after it."""
    if center.last_act_on is None:
        return None
    return DatedAct(center.last_act or "the last act", center.last_act_on)


def check_date(
    center: CenterRecord | None,
    *,
    field: str,
    act: str,
    on: date,
    window: tuple[DatedAct, DatedAct | None] | None = None,
) -> None:
    """POLICY §4a for one act on `center`: 422 naming the act the date conflicts with."""
    try:
        check_act_date(
            field=field,
            act=act,
            on=on,
            today=today(),
            in_force=_in_force(),
            follows=last_act(center) if center is not None else None,
            window=window,
        )
    except DateRefused as refused:
        raise refused.problem() from refused


async def load(
    session: AsyncSession, *, principal: Principal | None, center_id: uuid.UUID, for_update: bool = True
) -> CenterRecord:
    """The center within the caller's reach (the platform's own acts reach every center), or 404."""
    reach = EVERYTHING if principal is None else Reach.of(principal)
    center = await store.get_center(session, reach=reach, center_id=center_id, for_update=for_update)
    if center is None:
        raise NotFound("center", center_id)
    return center


async def transition(
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
    approval: Callable[[CenterRecord], Awaitable[ApprovalCheck | None]] | None = None,
    window: Window | None = None,
    changes: Callable[[CenterRecord], Details] | None = None,
    reason: str | None = None,
    details: Details | None = None,
    event_extra: Details | None = None,
) -> CenterRecord:
    """One act on a center's record. `approval` checks what the lifecycle needs to know beyond the state (and may
    prepare the act's changes once it knows the act is allowed); `changes` are the act's own columns."""
    before = await load(session, principal=principal, center_id=center_id)
    check_if_match(if_match, etag(before))
    try:
        guard = await approval(before) if approval is not None else None
        step = lifecycle.transition(before.status, action, outcome, approval=guard)
    except ApprovalRefused as refused:
        raise TransitionConflict(
            refused.reason.value.replace("_", "-"),
            refused.detail,
            current_state=before.status,
            allowed_actions=refused.allowed_actions,
        ) from refused
    except IllegalTransition as illegal:
        raise TransitionConflict(
            "illegal-transition",
            illegal.detail,
            current_state=before.status,
            allowed_actions=illegal.allowed_actions,
        ) from illegal
    except InvalidOutcome as invalid_outcome:
        raise invalid("body", str(invalid_outcome)) from invalid_outcome
    check_date(before, field=date_field, act=ACT_NAMES[action], on=on, window=window(before) if window else None)
    values = changes(before) if changes is not None else {}
    values |= {
        "status": step.to_state.value,
        "sequence": before.sequence + len(step.events),
        "last_act": ACT_NAMES[action],
        "last_act_on": on,
    }
    after = await store.update_center(session, center_id=center_id, values=values)
    event_ids = []
    for offset, name in enumerate(step.events, start=1):
        data = event_for(
            name.value, after, before=before, sequence=before.sequence + offset, extra=event_extra or {}, reason=reason
        )
        event = await record_event(session, messaging.outbox, data, subject=str(center_id))
        event_ids.append(str(event.id))
    await store.add_history(
        session,
        {
            "center_id": center_id,
            "actor": actor,
            "action": action.value if step.outcome is None else f"{action.value}:{step.outcome.value}",
            "on": on,
            "from_state": before.status,
            "to_state": step.to_state.value,
            "reason": reason,
            "details": details or {},
            "event_ids": event_ids,
        },
    )
    return after
