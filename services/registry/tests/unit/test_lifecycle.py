"""The center lifecycle against POLICY §2's diagram, transition by transition."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.domain.lifecycle import (
    OUTCOMES,
    Action,
    ApprovalCheck,
    ApprovalRefused,
    IllegalTransition,
    InvalidOutcome,
    MissingApprovalCheck,
    Outcome,
    RefusalReason,
    RegistryEvent,
    State,
    Step,
    allowed_actions,
    events_for,
    next_state,
    public_notice_end,
    replay,
    transition,
)
from registry.domain.policy import registry_policy
from tic_shared.jurisdictions import jurisdictions

NINGBO = jurisdictions()["ningbo"]

S, A, Out, E = State, Action, Outcome, RegistryEvent

# POLICY §2's diagram, written out independently of the module: (from, action, outcome) -> to.
DIAGRAM: dict[tuple[State, Action, Outcome | None], State] = {
    (S.DRAFT, A.SUBMIT, None): S.SUBMITTED,
    (S.SUBMITTED, A.START_REVIEW, None): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, A.REVIEW, Out.PASSED): S.REVIEWED,
    (S.UNDER_REVIEW, A.REVIEW, Out.FAILED): S.REJECTED,
    (S.REVIEWED, A.DECIDE, Out.APPROVED): S.DECIDED,
    (S.REVIEWED, A.DECIDE, Out.REJECTED): S.REJECTED,
    (S.DECIDED, A.START_PUBLIC_NOTICE, None): S.PUBLIC_NOTICE,
    (S.PUBLIC_NOTICE, A.RAISE_OBJECTION, None): S.OBJECTION_REVIEW,
    (S.OBJECTION_REVIEW, A.RESOLVE_OBJECTION, Out.DISMISSED): S.PUBLIC_NOTICE,
    (S.OBJECTION_REVIEW, A.RESOLVE_OBJECTION, Out.UPHELD): S.REJECTED,
    (S.PUBLIC_NOTICE, A.APPROVE, None): S.BUILDING,
    (S.PUBLIC_NOTICE, A.REJECT, None): S.REJECTED,
    (S.DRAFT, A.WITHDRAW, None): S.WITHDRAWN,
    (S.SUBMITTED, A.WITHDRAW, None): S.WITHDRAWN,
    (S.UNDER_REVIEW, A.WITHDRAW, None): S.WITHDRAWN,
    (S.REVIEWED, A.WITHDRAW, None): S.WITHDRAWN,
    (S.BUILDING, A.CHANGE_TIER, None): S.BUILDING,
    (S.OPERATING, A.CHANGE_TIER, None): S.OPERATING,
    (S.BUILDING, A.COMPLETE_ACCEPTANCE, Out.PASSED): S.OPERATING,
    (S.BUILDING, A.COMPLETE_ACCEPTANCE, Out.FAILED): S.CANCELLED,
    (S.BUILDING, A.CANCEL, None): S.CANCELLED,
    (S.BUILDING, A.DELIST, None): S.DELISTED,
    (S.OPERATING, A.DELIST, None): S.DELISTED,
    # The bureau's reversal returns a center to the state it was ended from (POLICY §3, Consequences).
    (S.DELISTED, A.REINSTATE, Out.BUILDING): S.BUILDING,
    (S.DELISTED, A.REINSTATE, Out.OPERATING): S.OPERATING,
    (S.CANCELLED, A.REINSTATE, Out.BUILDING): S.BUILDING,
    # Governance changes are dated acts from submission until the center ends (001 §4(1)).
    **{
        (state, A.CHANGE_GOVERNANCE, None): state
        for state in (
            S.SUBMITTED,
            S.UNDER_REVIEW,
            S.REVIEWED,
            S.DECIDED,
            S.PUBLIC_NOTICE,
            S.OBJECTION_REVIEW,
            S.BUILDING,
            S.OPERATING,
        )
    },
}
LEGAL_PAIRS = {(state, action) for state, action, _ in DIAGRAM}
NOTICE_START = date(2026, 3, 2)
AFTER_NOTICE = ApprovalCheck(
    today=public_notice_end(NINGBO, NOTICE_START), notice_end=public_notice_end(NINGBO, NOTICE_START)
)


def _an_outcome(action: Action) -> Outcome | None:
    return OUTCOMES[action][0] if action in OUTCOMES else None


@pytest.mark.parametrize(("state", "action", "outcome"), list(DIAGRAM), ids=lambda v: str(v))
def test_allowed_transition(state: State, action: Action, outcome: Outcome | None) -> None:
    approval = AFTER_NOTICE if action == A.APPROVE else None
    assert next_state(state, action, outcome, approval=approval) == DIAGRAM[(state, action, outcome)]


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for s in State for a in Action if (s, a) not in LEGAL_PAIRS],
    ids=lambda v: str(v),
)
def test_refused_transition(state: State, action: Action) -> None:
    with pytest.raises(IllegalTransition) as refused:
        transition(state, action, _an_outcome(action), approval=AFTER_NOTICE)
    assert refused.value.state == state
    assert refused.value.action == action
    assert refused.value.allowed_actions == allowed_actions(state)
    assert str(state) in str(refused.value)


@pytest.mark.parametrize("state", list(State))
def test_allowed_actions_match_the_diagram(state: State) -> None:
    expected = {a.value for s, a in LEGAL_PAIRS if s == state}
    assert set(allowed_actions(state)) == expected
    assert allowed_actions(state) == sorted(expected, key=lambda a: list(Action).index(Action(a)))


def test_terminal_states_allow_nothing() -> None:
    for state in (S.REJECTED, S.WITHDRAWN):
        assert allowed_actions(state) == []


def test_a_delisting_or_cancellation_can_only_be_reversed() -> None:
    for state in (S.CANCELLED, S.DELISTED):
        assert allowed_actions(state) == ["reinstate"]
    assert transition(S.DELISTED, A.REINSTATE, Out.OPERATING).events == (E.CENTER_REINSTATED,)
    with pytest.raises(IllegalTransition):
        transition(S.CANCELLED, A.REINSTATE, Out.OPERATING)


def test_unknown_action_is_an_illegal_transition() -> None:
    with pytest.raises(IllegalTransition) as refused:
        transition(S.DRAFT, "publish")
    assert refused.value.allowed_actions == ["submit", "withdraw"]


@pytest.mark.parametrize(
    ("state", "action", "outcome"),
    [
        (S.UNDER_REVIEW, A.REVIEW, None),
        (S.UNDER_REVIEW, A.REVIEW, "approved"),
        (S.REVIEWED, A.DECIDE, "passed"),
        (S.OBJECTION_REVIEW, A.RESOLVE_OBJECTION, "maybe"),
        (S.BUILDING, A.COMPLETE_ACCEPTANCE, None),
        (S.DRAFT, A.SUBMIT, "passed"),
    ],
)
def test_outcome_must_fit_the_action(state: State, action: Action, outcome: str | None) -> None:
    with pytest.raises(InvalidOutcome):
        transition(state, action, outcome)


# --- POLICY §2 rules ----------------------------------------------------------------------------------------


def test_approval_refused_while_public_notice_runs() -> None:
    end = public_notice_end(NINGBO, NOTICE_START)
    for today in (NOTICE_START, end - timedelta(days=1)):
        with pytest.raises(ApprovalRefused) as refused:
            transition(S.PUBLIC_NOTICE, A.APPROVE, approval=ApprovalCheck(today=today, notice_end=end))
        assert refused.value.reason == RefusalReason.NOTICE_PERIOD_RUNNING
        assert refused.value.state == S.PUBLIC_NOTICE
        assert refused.value.allowed_actions == allowed_actions(S.PUBLIC_NOTICE)
    assert next_state(S.PUBLIC_NOTICE, A.APPROVE, approval=ApprovalCheck(today=end, notice_end=end)) == S.BUILDING


def test_public_notice_lasts_the_configured_calendar_days() -> None:
    days = NINGBO.public_notice.days
    assert days == 7
    assert public_notice_end(NINGBO, date(2026, 12, 28)) == date(2026, 12, 28) + timedelta(days=days)
    for other in jurisdictions():
        assert public_notice_end(other, date(2026, 3, 2)) == date(2026, 3, 2) + timedelta(days=other.public_notice.days)


def test_approval_refused_with_open_objection() -> None:
    with pytest.raises(ApprovalRefused) as refused:
        transition(S.OBJECTION_REVIEW, A.APPROVE, approval=AFTER_NOTICE)
    assert refused.value.reason == RefusalReason.OBJECTION_OPEN
    assert refused.value.allowed_actions == ["resolve_objection", "change_governance"]
    open_one = ApprovalCheck(today=AFTER_NOTICE.today, notice_end=AFTER_NOTICE.notice_end, open_objections=1)
    with pytest.raises(ApprovalRefused) as refused:
        transition(S.PUBLIC_NOTICE, A.APPROVE, approval=open_one)
    assert refused.value.reason == RefusalReason.OBJECTION_OPEN


def test_approval_needs_its_guard_facts() -> None:
    with pytest.raises(MissingApprovalCheck):
        transition(S.PUBLIC_NOTICE, A.APPROVE)


def test_upheld_objection_rejects() -> None:
    taken = transition(S.OBJECTION_REVIEW, A.RESOLVE_OBJECTION, Out.UPHELD)
    assert taken.to_state == S.REJECTED
    assert taken.events == (E.CENTER_REJECTED,)


def test_dismissed_objection_returns_to_notice() -> None:
    assert next_state(S.OBJECTION_REVIEW, A.RESOLVE_OBJECTION, Out.DISMISSED) == S.PUBLIC_NOTICE
    # ... and approval is possible again once the notice has run.
    assert next_state(S.PUBLIC_NOTICE, A.APPROVE, approval=AFTER_NOTICE) == S.BUILDING


def test_dismissed_objection_keeps_the_notice_end() -> None:
    assert registry_policy().public_notice_restarts_after_dismissal is False
    dismissed = NOTICE_START + timedelta(days=3)
    assert public_notice_end(NINGBO, NOTICE_START, last_dismissal=dismissed) == public_notice_end(NINGBO, NOTICE_START)


def test_withdraw_allowed_only_before_decision() -> None:
    allowed = {s for s in State if "withdraw" in allowed_actions(s)}
    assert allowed == {S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.REVIEWED}


def test_acceptance_passed_operates_failed_cancels() -> None:
    assert next_state(S.BUILDING, A.COMPLETE_ACCEPTANCE, Out.PASSED) == S.OPERATING
    assert next_state(S.BUILDING, A.COMPLETE_ACCEPTANCE, Out.FAILED) == S.CANCELLED


def test_delisting_only_from_building_or_operating() -> None:
    assert {s for s in State if "delist" in allowed_actions(s)} == {S.BUILDING, S.OPERATING}


def test_tier_change_states_match_the_data_file() -> None:
    in_code = {s.value for s in State if "change_tier" in allowed_actions(s)}
    assert in_code == set(registry_policy().tier_change_states)


def test_tier_change_keeps_the_state() -> None:
    for state in (S.BUILDING, S.OPERATING):
        taken = transition(state, A.CHANGE_TIER)
        assert taken.to_state == state
        assert taken.events == (E.CENTER_TIER_CHANGED,)


# --- events -------------------------------------------------------------------------------------------------

EXPECTED_EVENTS: dict[tuple[State, Action, Outcome | None], tuple[str, ...]] = {
    (S.DRAFT, A.SUBMIT, None): ("CenterSubmitted",),
    (S.SUBMITTED, A.START_REVIEW, None): (),
    (S.UNDER_REVIEW, A.REVIEW, Out.PASSED): ("CenterReviewCompleted",),
    (S.UNDER_REVIEW, A.REVIEW, Out.FAILED): ("CenterReviewCompleted", "CenterRejected"),
    (S.REVIEWED, A.DECIDE, Out.APPROVED): (),
    (S.REVIEWED, A.DECIDE, Out.REJECTED): ("CenterRejected",),
    (S.DECIDED, A.START_PUBLIC_NOTICE, None): ("CenterPublicNoticeStarted",),
    (S.PUBLIC_NOTICE, A.RAISE_OBJECTION, None): ("CenterObjectionRaised",),
    (S.OBJECTION_REVIEW, A.RESOLVE_OBJECTION, Out.DISMISSED): (),
    (S.OBJECTION_REVIEW, A.RESOLVE_OBJECTION, Out.UPHELD): ("CenterRejected",),
    (S.PUBLIC_NOTICE, A.APPROVE, None): ("CenterApproved",),
    (S.PUBLIC_NOTICE, A.REJECT, None): ("CenterRejected",),
    (S.DRAFT, A.WITHDRAW, None): ("CenterWithdrawn",),
    (S.SUBMITTED, A.WITHDRAW, None): ("CenterWithdrawn",),
    (S.UNDER_REVIEW, A.WITHDRAW, None): ("CenterWithdrawn",),
    (S.REVIEWED, A.WITHDRAW, None): ("CenterWithdrawn",),
    (S.BUILDING, A.CHANGE_TIER, None): ("CenterTierChanged",),
    (S.OPERATING, A.CHANGE_TIER, None): ("CenterTierChanged",),
    (S.BUILDING, A.COMPLETE_ACCEPTANCE, Out.PASSED): ("CenterAccepted",),
    (S.BUILDING, A.COMPLETE_ACCEPTANCE, Out.FAILED): ("CenterCancelled",),
    (S.BUILDING, A.CANCEL, None): ("CenterCancelled",),
    (S.BUILDING, A.DELIST, None): ("CenterDelisted",),
    (S.OPERATING, A.DELIST, None): ("CenterDelisted",),
    (S.DELISTED, A.REINSTATE, Out.BUILDING): ("CenterReinstated",),
    (S.DELISTED, A.REINSTATE, Out.OPERATING): ("CenterReinstated",),
    (S.CANCELLED, A.REINSTATE, Out.BUILDING): ("CenterReinstated",),
    **{(state, A.CHANGE_GOVERNANCE, None): () for (state, action, _o) in DIAGRAM if action == A.CHANGE_GOVERNANCE},
}


def test_every_transition_names_its_events() -> None:
    assert set(EXPECTED_EVENTS) == set(DIAGRAM)
    for (state, action, outcome), events in EXPECTED_EVENTS.items():
        assert events_for(state, action, outcome) == events


def test_every_catalog_event_is_emitted_somewhere() -> None:
    emitted = {e for events in EXPECTED_EVENTS.values() for e in events}
    assert emitted == {e.value for e in RegistryEvent}


def test_replay_runs_a_whole_life() -> None:
    life = replay(
        [
            Step(A.SUBMIT),
            Step(A.START_REVIEW),
            Step(A.REVIEW, Out.PASSED),
            Step(A.DECIDE, Out.APPROVED),
            Step(A.START_PUBLIC_NOTICE),
            Step(A.RAISE_OBJECTION),
            Step(A.RESOLVE_OBJECTION, Out.DISMISSED),
            Step(A.APPROVE, approval=AFTER_NOTICE),
            Step(A.CHANGE_TIER),
            Step(A.COMPLETE_ACCEPTANCE, Out.PASSED),
            Step(A.DELIST),
        ]
    )
    assert [t.to_state for t in life][-3:] == [S.BUILDING, S.OPERATING, S.DELISTED]
