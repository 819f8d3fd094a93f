"""The center lifecycle state machine of POLICY §2: states, actions, guards, and the events they emit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from registry.domain.policy import registry_policy
from tic_shared.jurisdictions import Jurisdiction
from tic_shared.vocabulary import CenterStatus

# The lifecycle's states are the contract's center statuses, the words every event carries.
State = CenterStatus


class Action(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    REVIEW = "review"
    DECIDE = "decide"
    START_PUBLIC_NOTICE = "start_public_notice"
    RAISE_OBJECTION = "raise_objection"
    RESOLVE_OBJECTION = "resolve_objection"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    CHANGE_TIER = "change_tier"
    COMPLETE_ACCEPTANCE = "complete_acceptance"
    CANCEL = "cancel"
    DELIST = "delist"
    CHANGE_GOVERNANCE = "change_governance"
    REINSTATE = "reinstate"


class Outcome(StrEnum):
    """The result an action carries where the diagram branches on it."""

    PASSED = "passed"
    FAILED = "failed"
    APPROVED = "approved"
    REJECTED = "rejected"
    UPHELD = "upheld"
    DISMISSED = "dismissed"
    # A reinstated center returns to the state it was ended from.
    BUILDING = "building"
    OPERATING = "operating"


class RegistryEvent(StrEnum):
    """The registry's integration events (DESIGN §2 catalog)."""

    CENTER_SUBMITTED = "CenterSubmitted"
    CENTER_REVIEW_COMPLETED = "CenterReviewCompleted"
    CENTER_PUBLIC_NOTICE_STARTED = "CenterPublicNoticeStarted"
    CENTER_OBJECTION_RAISED = "CenterObjectionRaised"
    CENTER_APPROVED = "CenterApproved"
    CENTER_REJECTED = "CenterRejected"
    CENTER_WITHDRAWN = "CenterWithdrawn"
    CENTER_TIER_CHANGED = "CenterTierChanged"
    CENTER_ACCEPTED = "CenterAccepted"
    CENTER_CANCELLED = "CenterCancelled"
    CENTER_DELISTED = "CenterDelisted"
    CENTER_REINSTATED = "CenterReinstated"


TERMINAL_STATES: frozenset[State] = frozenset({State.REJECTED, State.WITHDRAWN, State.CANCELLED, State.DELISTED})

# The outcomes an action must carry; an action not listed here takes none.
OUTCOMES: dict[Action, tuple[Outcome, ...]] = {
    Action.REVIEW: (Outcome.PASSED, Outcome.FAILED),
    Action.DECIDE: (Outcome.APPROVED, Outcome.REJECTED),
    Action.RESOLVE_OBJECTION: (Outcome.UPHELD, Outcome.DISMISSED),
    Action.COMPLETE_ACCEPTANCE: (Outcome.PASSED, Outcome.FAILED),
    Action.REINSTATE: (Outcome.BUILDING, Outcome.OPERATING),
}

_E = RegistryEvent
# (from, action, outcome) -> (to, events). start_review, decide(approved) and a dismissed objection have no
# event in the DESIGN §2 catalog: they are kept in the center's history only. A failed review emits both the
# review result and the rejection, so subscribers of either learn of it.
TRANSITIONS: dict[tuple[State, Action, Outcome | None], tuple[State, tuple[RegistryEvent, ...]]] = {
    (State.DRAFT, Action.SUBMIT, None): (State.SUBMITTED, (_E.CENTER_SUBMITTED,)),
    (State.SUBMITTED, Action.START_REVIEW, None): (State.UNDER_REVIEW, ()),
    (State.UNDER_REVIEW, Action.REVIEW, Outcome.PASSED): (State.REVIEWED, (_E.CENTER_REVIEW_COMPLETED,)),
    (State.UNDER_REVIEW, Action.REVIEW, Outcome.FAILED): (
        State.REJECTED,
        (_E.CENTER_REVIEW_COMPLETED, _E.CENTER_REJECTED),
    ),
    (State.REVIEWED, Action.DECIDE, Outcome.APPROVED): (State.DECIDED, ()),
    (State.REVIEWED, Action.DECIDE, Outcome.REJECTED): (State.REJECTED, (_E.CENTER_REJECTED,)),
    (State.DECIDED, Action.START_PUBLIC_NOTICE, None): (
        State.PUBLIC_NOTICE,
        (_E.CENTER_PUBLIC_NOTICE_STARTED,),
    ),
    (State.PUBLIC_NOTICE, Action.RAISE_OBJECTION, None): (
        State.OBJECTION_REVIEW,
        (_E.CENTER_OBJECTION_RAISED,),
    ),
    (State.OBJECTION_REVIEW, Action.RESOLVE_OBJECTION, Outcome.UPHELD): (
        State.REJECTED,
        (_E.CENTER_REJECTED,),
    ),
    (State.OBJECTION_REVIEW, Action.RESOLVE_OBJECTION, Outcome.DISMISSED): (State.PUBLIC_NOTICE, ()),
    (State.PUBLIC_NOTICE, Action.APPROVE, None): (State.BUILDING, (_E.CENTER_APPROVED,)),
    # The launch needs the city government's consent (001 §3(3) 经市政府同意): it may decline it.
    (State.PUBLIC_NOTICE, Action.REJECT, None): (State.REJECTED, (_E.CENTER_REJECTED,)),
    (State.DRAFT, Action.WITHDRAW, None): (State.WITHDRAWN, (_E.CENTER_WITHDRAWN,)),
    (State.SUBMITTED, Action.WITHDRAW, None): (State.WITHDRAWN, (_E.CENTER_WITHDRAWN,)),
    (State.UNDER_REVIEW, Action.WITHDRAW, None): (State.WITHDRAWN, (_E.CENTER_WITHDRAWN,)),
    (State.REVIEWED, Action.WITHDRAW, None): (State.WITHDRAWN, (_E.CENTER_WITHDRAWN,)),
    # A tier change (municipal recognised as provincial or national, 001 §3(4)) keeps the state.
    (State.BUILDING, Action.CHANGE_TIER, None): (State.BUILDING, (_E.CENTER_TIER_CHANGED,)),
    (State.OPERATING, Action.CHANGE_TIER, None): (State.OPERATING, (_E.CENTER_TIER_CHANGED,)),
    (State.BUILDING, Action.COMPLETE_ACCEPTANCE, Outcome.PASSED): (State.OPERATING, (_E.CENTER_ACCEPTED,)),
    (State.BUILDING, Action.COMPLETE_ACCEPTANCE, Outcome.FAILED): (State.CANCELLED, (_E.CENTER_CANCELLED,)),
    (State.BUILDING, Action.CANCEL, None): (State.CANCELLED, (_E.CENTER_CANCELLED,)),
    (State.BUILDING, Action.DELIST, None): (State.DELISTED, (_E.CENTER_DELISTED,)),
    (State.OPERATING, Action.DELIST, None): (State.DELISTED, (_E.CENTER_DELISTED,)),
    # The bureau reverses a delisting or cancellation (a correction, a ruling): the center returns to the state it
    # was ended from, and the consequences downstream are undone by the event.
    (State.DELISTED, Action.REINSTATE, Outcome.BUILDING): (State.BUILDING, (_E.CENTER_REINSTATED,)),
    (State.DELISTED, Action.REINSTATE, Outcome.OPERATING): (State.OPERATING, (_E.CENTER_REINSTATED,)),
    (State.CANCELLED, Action.REINSTATE, Outcome.BUILDING): (State.BUILDING, (_E.CENTER_REINSTATED,)),
}

# Governance bodies, members, terms, bases and the legal-entity status change over a center's life (001 §4(1));
# from submission on, each change is a dated act on the record (a draft is simply edited).
for _state in (
    State.SUBMITTED,
    State.UNDER_REVIEW,
    State.REVIEWED,
    State.DECIDED,
    State.PUBLIC_NOTICE,
    State.OBJECTION_REVIEW,
    State.BUILDING,
    State.OPERATING,
):
    TRANSITIONS[(_state, Action.CHANGE_GOVERNANCE, None)] = (_state, ())


class RefusalReason(StrEnum):
    """Why a transition was refused; stable codes for problem+json `type`s."""

    ILLEGAL_TRANSITION = "illegal_transition"
    NOTICE_PERIOD_RUNNING = "notice_period_running"
    OBJECTION_OPEN = "objection_open"


class LifecycleError(Exception):
    """Base of the lifecycle's errors."""


class IllegalTransition(LifecycleError):
    """The action is not allowed in the current state (409 naming the state and the allowed actions)."""

    reason: RefusalReason = RefusalReason.ILLEGAL_TRANSITION

    def __init__(self, state: State, action: str, allowed: list[str], detail: str | None = None) -> None:
        self.state = state
        self.action = action
        self.allowed_actions = allowed
        self.detail = detail or (
            f"'{action}' is not allowed in state '{state}'; allowed: {', '.join(allowed) or 'none'}"
        )
        super().__init__(self.detail)


class ApprovalRefused(IllegalTransition):
    """Approval (启动建设) refused while the public notice runs or an objection is open."""

    def __init__(self, state: State, reason: RefusalReason, why: str) -> None:
        super().__init__(state, Action.APPROVE, allowed_actions(state), f"approval refused in state '{state}': {why}")
        self.reason = reason


class InvalidOutcome(LifecycleError, ValueError):
    """The action's outcome is missing, unknown, or given to an action that takes none."""

    def __init__(self, action: Action, outcome: str | None) -> None:
        self.action = action
        self.outcome = outcome
        expected = OUTCOMES.get(action, ())
        wanted = ", ".join(expected) if expected else "no outcome"
        super().__init__(f"'{action}' takes {wanted}; got {outcome!r}")


class MissingApprovalCheck(LifecycleError, ValueError):
    """Approve was asked for without the facts its guard needs (the date, the notice end, open objections)."""


@dataclass(frozen=True)
class ApprovalCheck:
    """What approval's guard looks at: today, when the public notice ends, how many objections are open."""

    today: date
    notice_end: date
    open_objections: int = 0


@dataclass(frozen=True)
class Transition:
    """One step of the lifecycle, as the history records it."""

    from_state: State
    action: Action
    outcome: Outcome | None
    to_state: State
    events: tuple[RegistryEvent, ...]


def allowed_actions(state: State | str) -> list[str]:
    """The actions the diagram allows from `state`, in catalog order."""
    current = State(state)
    present = {action for (source, action, _outcome) in TRANSITIONS if source == current}
    return [action.value for action in Action if action in present]


def public_notice_end(jurisdiction: Jurisdiction, started_on: date, *, last_dismissal: date | None = None) -> date:
    """The first day approval is possible: the notice (公示期) runs the jurisdiction's days from its start.

    Where the data file says a dismissed objection restarts the notice, it runs again from the dismissal.
    """
    start = started_on
    if last_dismissal is not None and registry_policy().public_notice_restarts_after_dismissal:
        start = max(started_on, last_dismissal)
    return start + timedelta(days=jurisdiction.public_notice.days)


def transition(
    state: State | str,
    action: Action | str,
    outcome: Outcome | str | None = None,
    *,
    approval: ApprovalCheck | None = None,
) -> Transition:
    """The step `action` (with `outcome`) takes from `state`, or IllegalTransition / ApprovalRefused."""
    current = State(state)
    allowed = allowed_actions(current)
    try:
        act = Action(action)
    except ValueError:
        raise IllegalTransition(current, str(action), allowed, f"unknown action '{action}'") from None
    if act == Action.APPROVE and current == State.OBJECTION_REVIEW:
        raise ApprovalRefused(current, RefusalReason.OBJECTION_OPEN, "an objection is under review")
    if act.value not in allowed:
        raise IllegalTransition(current, act, allowed)
    result = _outcome(act, outcome)
    if act == Action.APPROVE:
        _check_approval(current, approval)
    if (current, act, result) not in TRANSITIONS:
        raise IllegalTransition(current, act, allowed, f"'{act}' cannot lead to '{result}' from state '{current}'")
    to_state, events = TRANSITIONS[(current, act, result)]
    return Transition(current, act, result, to_state, events)


def next_state(
    state: State | str,
    action: Action | str,
    outcome: Outcome | str | None = None,
    *,
    approval: ApprovalCheck | None = None,
) -> State:
    """The state `action` leads to from `state`; raises like `transition`."""
    return transition(state, action, outcome, approval=approval).to_state


def events_for(state: State | str, action: Action | str, outcome: Outcome | str | None = None) -> tuple[str, ...]:
    """The events a legal transition emits, without running approval's guard."""
    current = State(state)
    act = Action(action)
    if act.value not in allowed_actions(current):
        raise IllegalTransition(current, act, allowed_actions(current))
    return tuple(e.value for e in TRANSITIONS[(current, act, _outcome(act, outcome))][1])


@dataclass(frozen=True)
class Step:
    """An action to replay, with what its guard needs."""

    action: Action | str
    outcome: Outcome | str | None = None
    approval: ApprovalCheck | None = None


def replay(steps: Iterable[Step], start: State = State.DRAFT) -> list[Transition]:
    """Run steps from `start`; the first illegal one raises."""
    state = start
    done: list[Transition] = []
    for step in steps:
        taken = transition(state, step.action, step.outcome, approval=step.approval)
        done.append(taken)
        state = taken.to_state
    return done


def _outcome(action: Action, outcome: Outcome | str | None) -> Outcome | None:
    expected = OUTCOMES.get(action)
    if expected is None:
        if outcome is not None:
            raise InvalidOutcome(action, str(outcome))
        return None
    try:
        result = Outcome(outcome) if outcome is not None else None
    except ValueError:
        result = None
    if result is None or result not in expected:
        raise InvalidOutcome(action, None if outcome is None else str(outcome))
    return result


def _check_approval(state: State, check: ApprovalCheck | None) -> None:
    if check is None:
        raise MissingApprovalCheck("approve needs today's date, the notice end and the open objections")
    if check.open_objections > 0:
        raise ApprovalRefused(
            state,
            RefusalReason.OBJECTION_OPEN,
            f"{check.open_objections} objection(s) still open",
        )
    if check.today < check.notice_end:
        raise ApprovalRefused(
            state,
            RefusalReason.NOTICE_PERIOD_RUNNING,
            f"the public notice runs until {check.notice_end.isoformat()}",
        )
