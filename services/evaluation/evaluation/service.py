"""Use cases of the evaluation service: load, call the domain, save, record events. Never commits."""

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_json
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain.catalog import NoRulesInForce, rules_for_year
from evaluation.domain.evaluation import (
    EVALUABLE_STATUSES,
    Action,
    CenterFacts,
    Conclusion,
    EvaluationKind,
    EvaluationStatus,
    PriorResult,
    TransitionRefused,
    check_action,
    check_letter,
    conclude,
    effective_letter,
    finalize_blocker,
    is_eligible,
    kind_for,
    letter_from_approval,
    status_after_reopen,
)
from evaluation.domain.indicators import (
    IndicatorKind,
    IndicatorSystem,
    LetterRefused,
    ResponsibilityLetter,
    load_indicator_system,
)
from evaluation.domain.report import AnnualReport
from evaluation.domain.rules import EvaluationRules, Grade, load_rules
from evaluation.store import queries
from evaluation.store.queries import AnyRow, Reach
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import (
    AcceptanceCompleted,
    CenterApproved,
    EvaluationCompleted,
    EvaluationExcellent,
    EvaluationFailed,
    MilestoneCheck,
    MilestoneChecked,
    RegistryEvent,
)
from tic_shared.events.envelope import EventData
from tic_shared.http import check_if_match, etag_for
from tic_shared.problems import Conflict, NotFound, Problem, TransitionConflict

FINALIZE_BATCH = 500


def reach_of(principal: Principal) -> Reach:
    """The rows `principal` may see (row-level scoping, DESIGN §4)."""
    if principal.sees_everything:
        return Reach(everything=True)
    return Reach(
        everything=False,
        center_id=principal.center_id if principal.has_role("center_user") else None,
        district=principal.district if principal.has_role("district_officer") else None,
        expert=principal.subject if principal.has_role("expert") else None,
    )


def evaluation_etag(row: AnyRow) -> str:
    return etag_for("evaluation", row.id, row.version)


def letter_etag(center_id: uuid.UUID, version: int) -> str:
    return etag_for("letter", center_id, version)


def _refused(error: TransitionRefused) -> Conflict:
    return TransitionConflict(
        "transition-refused", str(error), current_state=str(error.status), allowed_actions=error.allowed
    )


# ---- the center projection (consumers) ----


async def apply_registry_event(session: AsyncSession, data: RegistryEvent) -> bool:
    """Keep the projection of one center from a registry event, whatever order events arrive in.

    The state (status, tier, code, district) follows the newest event; the facts only CenterApproved carries
    (approval date, construction period, targets, lead unit) and the name are kept from whichever event carries
    them, so a late approval still gives its dates. Returns whether the event was the newest.
    """
    values: dict[str, Any] = {
        "center_id": data.center_id,
        "code": data.code,
        "tier": str(data.tier),
        "status": str(data.status),
        "district": data.district,
        "last_sequence": data.sequence,
        "name_zh": data.name_zh,
    }
    if isinstance(data, CenterApproved):
        values |= {
            "lead_unit": data.lead_unit.model_dump(mode="json"),
            "approved_on": data.approved_on,
            "construction_start": data.construction_start,
            "construction_end": data.construction_end,
            "targets": data.targets,
        }
    return await queries.project_center(session, values)


async def list_centers(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    district: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[AnyRow]:
    return await queries.list_centers(
        session, reach_of(principal), status=status, district=district, after=after, limit=limit
    )


async def get_center(session: AsyncSession, principal: Principal, center_id: uuid.UUID) -> AnyRow:
    row = await queries.get_center(session, center_id, reach_of(principal))
    if row is None:
        raise NotFound("center", center_id)
    return row


# ---- responsibility letters ----


@dataclass(frozen=True)
class LetterView:
    center_id: uuid.UUID
    version: int
    recorded: ResponsibilityLetter | None
    from_approval: ResponsibilityLetter
    effective: ResponsibilityLetter


def _current_rules() -> tuple[EvaluationRules, IndicatorSystem]:
    return rules_for_year(today().year)


def _letter_of(center_id: uuid.UUID, row: AnyRow | None) -> ResponsibilityLetter | None:
    if row is None:
        return None
    return ResponsibilityLetter(
        center_id=str(center_id),
        reference=row.reference,
        weights={code: Decimal(value) for code, value in row.weights.items()},
        targets=row.targets,
        milestone_targets=row.milestone_targets,
    )


async def get_letter(session: AsyncSession, principal: Principal, center_id: uuid.UUID) -> LetterView:
    center = await get_center(session, principal, center_id)
    row = await queries.get_letter(session, center_id)
    return _letter_view(center, row)


def _letter_view(center: AnyRow, row: AnyRow | None) -> LetterView:
    rules, system = _current_rules()
    approval = letter_from_approval(
        center_id=str(center.center_id), targets=center.targets or {}, system=system, rules=rules
    )
    recorded = _letter_of(center.center_id, row)
    return LetterView(
        center_id=center.center_id,
        version=row.version if row is not None else 0,
        recorded=recorded,
        from_approval=approval,
        effective=effective_letter(approval=approval, letter=recorded),
    )


async def put_letter(
    session: AsyncSession,
    principal: Principal,
    center_id: uuid.UUID,
    *,
    reference: str | None,
    weights: dict[str, Decimal],
    targets: dict[str, int],
    milestone_targets: dict[str, dict[str, int]],
    if_match: str | None,
) -> LetterView:
    """Record a center's responsibility-letter adjustments; refused unless weights still sum to the total."""
    center = await get_center(session, principal, center_id)
    existing = await queries.get_letter(session, center_id)
    check_if_match(if_match, letter_etag(center_id, existing.version if existing else 0))
    rules, system = _current_rules()
    letter = ResponsibilityLetter(
        center_id=str(center_id),
        reference=reference,
        weights=weights,
        targets=targets,
        milestone_targets=milestone_targets,
    )
    try:
        check_letter(letter=letter, system=system, rules=rules)
    except LetterRefused as error:
        raise Problem(422, "letter-refused", str(error)) from error
    row = await queries.upsert_letter(
        session,
        {
            "center_id": center_id,
            "reference": reference,
            "weights": {code: str(value) for code, value in weights.items()},
            "targets": targets,
            "milestone_targets": milestone_targets,
            "updated_by": principal.subject,
        },
    )
    return _letter_view(center, row)


# ---- rounds ----


def _year_problem(slug: str, message: str) -> Problem:
    return Problem(
        422, slug, f"body.year: {message}", errors=[{"field": "body.year", "message": message, "type": slug}]
    )


async def open_round(session: AsyncSession, principal: Principal, year: int) -> uuid.UUID:
    """Open the annual round of `year`: one evaluation for every eligible center (building or operating).

    Only a year that has begun, and that the rules in force cover: an evaluation of a year to come would
    judge figures nobody could have reported.
    """
    current = today()
    if year > current.year:
        raise _year_problem(
            "round-year-not-begun",
            f"{year} has not begun (today is {current.isoformat()}); a round is for a past or the current year",
        )
    try:
        rules, system = rules_for_year(year)
    except NoRulesInForce as error:
        raise _year_problem("no-rules-in-force", str(error)) from error
    round_id = uuid.uuid4()
    created = await queries.insert_round(
        session,
        {
            "id": round_id,
            "year": year,
            "indicator_system": system.code,
            "rules": rules.code,
            "opened_by": principal.subject,
        },
    )
    if not created:
        raise Conflict("round-exists", f"the round of {year} is already open")
    await queries.insert_evaluations(session, await _evaluations_due(session, round_id, year, rules))
    return round_id


async def add_newly_eligible(session: AsyncSession, round_id: uuid.UUID) -> int:
    """Add to an open round the centers that became eligible since it was opened (approved later that year)."""
    row = await queries.get_round(session, round_id)
    if row is None:
        raise NotFound("round", round_id)
    rules, _ = rules_for_year(row.year)
    return await queries.insert_evaluations(session, await _evaluations_due(session, round_id, row.year, rules))


async def _evaluations_due(session: AsyncSession, round_id: uuid.UUID, year: int, rules: Any) -> list[dict[str, Any]]:
    """One new evaluation for every center eligible in `year`; the store skips the ones the year already has."""
    rows = []
    for center in await queries.eligible_centers(session, EVALUABLE_STATUSES):
        if not is_eligible(
            status=center.status, tier=center.tier, approved_on=center.approved_on, year=year, rules=rules
        ):
            continue
        kind = kind_for(
            status=center.status,
            approved_on=center.approved_on,
            construction_end=center.construction_end,
            year=year,
            rules=rules,
        )
        rows.append(
            {
                "id": uuid.uuid4(),
                "round_id": round_id,
                "center_id": center.center_id,
                "year": year,
                "kind": str(kind),
                "status": str(EvaluationStatus.AWAITING_REPORT),
            }
        )
    return rows


@dataclass(frozen=True)
class RoundView:
    row: AnyRow
    counts: dict[str, Any]


def _qualitative_count(system: IndicatorSystem) -> int:
    return sum(1 for i in system.indicators if i.kind is IndicatorKind.QUALITATIVE)


async def get_round(session: AsyncSession, principal: Principal, round_id: uuid.UUID) -> RoundView:
    row = await queries.get_round(session, round_id)
    if row is None:
        raise NotFound("round", round_id)
    system = load_indicator_system(row.indicator_system)
    counts = await queries.round_counts(session, round_id, reach_of(principal), _qualitative_count(system))
    return RoundView(row=row, counts=counts)


async def list_rounds(
    session: AsyncSession, principal: Principal, *, year: int | None, before: int | None, limit: int
) -> list[RoundView]:
    rows = await queries.list_rounds(session, year=year, before=before, limit=limit)
    return [await get_round(session, principal, row.id) for row in rows]


# ---- evaluations ----


async def get_evaluation(
    session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID, *, lock: bool = False
) -> AnyRow:
    row = await queries.get_evaluation(session, evaluation_id, reach_of(principal), lock=lock)
    if row is None:
        raise NotFound("evaluation", evaluation_id)
    return row


async def _locked_for(
    session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID, action: Action, if_match: str | None
) -> AnyRow:
    row = await get_evaluation(session, principal, evaluation_id, lock=True)
    check_if_match(if_match, evaluation_etag(row))
    try:
        check_action(EvaluationStatus(row.status), action)
    except TransitionRefused as error:
        raise _refused(error) from error
    return row


async def submit_report(
    session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID, report: dict[str, Any], if_match: str | None
) -> None:
    """The center files (or re-files) its annual report for the evaluation's year."""
    row = await _locked_for(session, principal, evaluation_id, Action.SUBMIT_REPORT, if_match)
    if not principal.sees_everything and principal.center_id != row.center_id:
        raise NotFound("evaluation", evaluation_id)
    try:
        parsed = AnnualReport.model_validate({"year": row.year, **report})
    except ValidationError as error:  # pragma: no cover - the request model has already checked it
        raise Problem(422, "report-refused", str(error)) from error
    stored = parsed.model_dump(mode="json", exclude={"year"})
    await queries.update_evaluation(
        session,
        evaluation_id,
        {
            "report": stored,
            "reported_by": principal.subject,
            "reported_at": func.now(),
            "status": str(EvaluationStatus.REPORTED),
        },
    )
    await queries.add_history(
        session, [{"evaluation_id": evaluation_id, "action": str(Action.SUBMIT_REPORT), "actor": principal.subject}]
    )


async def record_not_submitted(
    session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID, reason: str, if_match: str | None
) -> None:
    """A reviewer records that no report came for the year, with the reason; finalizing it then counts it as the
    rules say (unqualified by default) instead of scoring an empty report as if it were one."""
    await _locked_for(session, principal, evaluation_id, Action.RECORD_NOT_SUBMITTED, if_match)
    record = {"reason": reason, "by": principal.subject, "on": today().isoformat()}
    await queries.update_evaluation(session, evaluation_id, {"not_submitted": record})
    await queries.add_history(
        session,
        [
            {
                "evaluation_id": evaluation_id,
                "action": str(Action.RECORD_NOT_SUBMITTED),
                "actor": principal.subject,
                "reason": reason,
            }
        ],
    )


def _system_of(row: AnyRow) -> tuple[EvaluationRules, IndicatorSystem]:
    return rules_for_year(row.year)


async def assign_expert(
    session: AsyncSession,
    principal: Principal,
    evaluation_id: uuid.UUID,
    *,
    expert: str,
    indicators: list[str] | None,
    if_match: str | None,
) -> None:
    """Assign an expert the qualitative indicators they will score (all of them when none are named)."""
    row = await _locked_for(session, principal, evaluation_id, Action.ASSIGN_EXPERT, if_match)
    _, system = _system_of(row)
    qualitative = [i.code for i in system.indicators if i.kind is IndicatorKind.QUALITATIVE]
    chosen = qualitative if indicators is None else list(dict.fromkeys(indicators))
    wrong = [code for code in chosen if code not in qualitative]
    if wrong:
        raise Problem(
            422,
            "not-a-qualitative-indicator",
            f"body.indicators: {', '.join(wrong)} are not qualitative indicators of {system.code}",
        )
    await queries.upsert_assignment(
        session,
        {"evaluation_id": evaluation_id, "expert": expert, "indicators": chosen, "assigned_by": principal.subject},
    )
    await queries.update_evaluation(session, evaluation_id, {})
    await queries.add_history(
        session,
        [
            {
                "evaluation_id": evaluation_id,
                "action": str(Action.ASSIGN_EXPERT),
                "actor": principal.subject,
                "detail": {"expert": expert, "indicators": chosen},
            }
        ],
    )


async def score(
    session: AsyncSession,
    principal: Principal,
    evaluation_id: uuid.UUID,
    scores: dict[str, Decimal],
    if_match: str | None,
) -> None:
    """An expert scores qualitative indicators — only those assigned to them, within the rules' range."""
    row = await _locked_for(session, principal, evaluation_id, Action.SCORE, if_match)
    assignment = await queries.get_assignment(session, evaluation_id, principal.subject)
    if assignment is None:
        raise Problem(403, "not-assigned", f"you are not assigned to evaluation {evaluation_id}")
    not_assigned = [code for code in scores if code not in assignment.indicators]
    if not_assigned:
        raise Problem(
            403,
            "not-assigned",
            f"body.scores: {', '.join(sorted(not_assigned))} are not assigned to you",
            assigned=list(assignment.indicators),
        )
    rules, _ = _system_of(row)
    low, high = rules.expert_scoring.score_min, rules.expert_scoring.score_max
    out_of_range = [code for code, value in scores.items() if not low <= value <= high]
    if out_of_range:
        raise Problem(
            422, "score-out-of-range", f"body.scores: {', '.join(sorted(out_of_range))} must lie within {low}–{high}"
        )
    await queries.upsert_scores(
        session,
        [
            {"evaluation_id": evaluation_id, "expert": principal.subject, "indicator": code, "score": value}
            for code, value in scores.items()
        ],
    )
    await queries.update_evaluation(session, evaluation_id, {})
    await queries.add_history(
        session,
        [
            {
                "evaluation_id": evaluation_id,
                "action": str(Action.SCORE),
                "actor": principal.subject,
                "detail": {code: str(value) for code, value in sorted(scores.items())},
            }
        ],
    )


@dataclass(frozen=True)
class PreviewItem:
    """What finalizing one evaluation would decide (or decided): its grade and what follows from it."""

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    year: int
    kind: str
    score: Decimal
    grade: str
    not_submitted: bool
    consecutive_unqualified: int
    delist_due: bool
    acceptance_passed: bool | None

    def line(self) -> str:
        return "|".join(
            str(v)
            for v in (
                self.evaluation_id,
                self.grade,
                self.score,
                self.not_submitted,
                self.consecutive_unqualified,
                self.delist_due,
                self.acceptance_passed,
            )
        )


@dataclass(frozen=True)
class Blocked:
    """An evaluation that cannot be finalized now, and why."""

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    year: int
    reason: str


@dataclass(frozen=True)
class FinalizePreview:
    """The consequences of a finalize, before it happens; `preview_id` is what the confirmation names."""

    preview_id: str
    items: list[PreviewItem]
    blocked: list[Blocked]


def _preview(items: list[PreviewItem], blocked: list[Blocked]) -> FinalizePreview:
    lines = sorted(item.line() for item in items) + sorted(f"blocked|{b.evaluation_id}" for b in blocked)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]
    order = sorted(items, key=lambda i: (i.year, str(i.center_id)))
    return FinalizePreview(preview_id=digest, items=order, blocked=sorted(blocked, key=lambda b: str(b.center_id)))


class PreviewStale(Problem):
    """The confirmation names a preview whose consequences are no longer what finalizing would decide."""

    def __init__(self, confirm: str, preview: FinalizePreview) -> None:
        super().__init__(
            409,
            "preview-stale",
            f"body.confirm: {confirm} is not the current preview ({preview.preview_id}): the figures changed "
            "since; read the preview again and confirm what it shows",
            preview_id=preview.preview_id,
        )
        self.preview = preview


async def finalize_preview(session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID) -> FinalizePreview:
    """What finalizing the evaluation would decide: its grade, the count of unqualified years, a delisting."""
    row = await get_evaluation(session, principal, evaluation_id)
    try:
        check_action(EvaluationStatus(row.status), Action.FINALIZE)
    except TransitionRefused as error:
        raise _refused(error) from error
    outcome = await _conclude_ready(session, [row], actor=principal.subject)
    return _preview(outcome.items, outcome.blocked)


async def finalize(
    session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID, *, confirm: str, if_match: str | None
) -> FinalizePreview:
    """Compute the scores, total, grade and consequences; lock the evaluation; emit its events.

    Only what the caller saw: `confirm` must name the current preview. An evaluation that is empty, or an
    acceptance before construction has ended, is refused naming why.
    """
    row = await _locked_for(session, principal, evaluation_id, Action.FINALIZE, if_match)
    outcome = await _conclude_ready(session, [row], actor=principal.subject)
    if outcome.blocked:
        raise Problem(
            409,
            "evaluation-not-ready",
            f"evaluation {evaluation_id} cannot be finalized: {outcome.blocked[0].reason}",
            current_state=row.status,
        )
    preview = _preview(outcome.items, [])
    if preview.preview_id != confirm:
        raise PreviewStale(confirm, preview)
    await store_finalized(session, outcome.finalized)
    return preview


async def round_preview(session: AsyncSession, principal: Principal, round_id: uuid.UUID) -> FinalizePreview:
    """What finalizing the round would decide, evaluation by evaluation; nothing is stored."""
    return await _run_round(session, principal, round_id, confirm=None)


async def finalize_round(
    session: AsyncSession, principal: Principal, round_id: uuid.UUID, *, confirm: str
) -> FinalizePreview:
    """Finalize every evaluation of a round that can be: those empty or not due yet stay open, listed.

    Pipelined: while a worker thread scores one batch, the database stores the previous batch's results and
    reads the next batch, so the interpreter and PostgreSQL work at the same time. Everything runs in the
    request's transaction, so a confirmation that turns out stale at the end stores nothing.
    """
    return await _run_round(session, principal, round_id, confirm=confirm)


async def _run_round(
    session: AsyncSession, principal: Principal, round_id: uuid.UUID, *, confirm: str | None
) -> FinalizePreview:
    if await queries.get_round(session, round_id) is None:
        raise NotFound("round", round_id)
    actor, write = principal.subject, confirm is not None
    items: list[PreviewItem] = []
    blocked: list[Blocked] = []
    pending: Finalized | None = None
    seen: set[uuid.UUID] = set()

    async def pass_over(rows: Sequence[AnyRow]) -> tuple[Sequence[AnyRow], Finalized | None]:
        nonlocal pending
        inputs = await finalize_inputs(session, rows)
        scoring = asyncio.ensure_future(asyncio.to_thread(conclude_ready_rows, rows, inputs, actor=actor))
        try:
            if pending is not None and write:
                await store_finalized(session, pending)
            following = await queries.lock_unfinalized(session, round_id, FINALIZE_BATCH, after=rows[-1].id)
        except BaseException:
            # The thread cannot be cancelled; let it finish so that its outcome is not left unobserved.
            with contextlib.suppress(BaseException):
                await scoring
            raise
        outcome = await scoring
        items.extend(outcome.items)
        blocked.extend(outcome.blocked)
        seen.update(row.id for row in rows)
        return following, outcome.finalized

    rows = await queries.lock_unfinalized(session, round_id, FINALIZE_BATCH)
    while rows:
        rows, pending = await pass_over(rows)
    if pending is not None and write:
        await store_finalized(session, pending)
    # Rows skipped above because another transaction held them get one more pass (usually there are none).
    after: uuid.UUID | None = None
    while rows := await queries.lock_unfinalized(session, round_id, FINALIZE_BATCH, after=after):
        after = rows[-1].id
        fresh = [row for row in rows if row.id not in seen]
        if fresh:
            outcome = await _conclude_ready(session, fresh, actor=actor)
            items.extend(outcome.items)
            blocked.extend(outcome.blocked)
            seen.update(row.id for row in fresh)
            if write:
                await store_finalized(session, outcome.finalized)
    preview = _preview(items, blocked)
    if confirm is not None and preview.preview_id != confirm:
        raise PreviewStale(confirm, preview)
    return preview


async def reopen(
    session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID, reason: str, if_match: str | None
) -> None:
    """Unlock a finalized evaluation for a correction; the reason and the superseded result go to history."""
    row = await _locked_for(session, principal, evaluation_id, Action.REOPEN, if_match)
    status = status_after_reopen(has_report=row.report is not None)
    await queries.update_evaluation(
        session, evaluation_id, {"status": str(status), "score": None, "grade": None, "consecutive_unqualified": None}
    )
    await queries.add_history(
        session,
        [
            {
                "evaluation_id": evaluation_id,
                "action": str(Action.REOPEN),
                "actor": principal.subject,
                "reason": reason,
                "detail": {
                    "superseded": {"revision": row.revision, "score": str(row.score), "grade": row.grade},
                },
            }
        ],
    )


def _report_of(year: int, stored: dict[str, Any] | None) -> AnnualReport:
    return AnnualReport.model_validate({"year": year, **(stored or {})})


@dataclass(frozen=True)
class FinalizeInputs:
    """Everything finalizing a batch of evaluations reads besides the rows themselves."""

    centers: dict[uuid.UUID, AnyRow]
    letters: dict[uuid.UUID, AnyRow]
    scores: dict[uuid.UUID, dict[str, list[Decimal]]]
    prior: dict[uuid.UUID, list[AnyRow]]
    reports: dict[uuid.UUID, list[AnyRow]]


@dataclass(frozen=True)
class Finalized:
    """What finalizing a batch writes: results, history rows, outbox rows (with their envelopes)."""

    results: list[queries.FinalizedResult]
    history: list[dict[str, Any]]
    envelopes: list[CloudEvent]
    outbox: list[queries.OutboxRow]


@dataclass(frozen=True)
class ReadyOutcome:
    """A batch concluded: what it would store, the preview of each, and the rows that are not ready."""

    finalized: Finalized
    items: list[PreviewItem]
    blocked: list[Blocked]


async def _conclude_ready(session: AsyncSession, rows: Sequence[AnyRow], *, actor: str) -> ReadyOutcome:
    return conclude_ready_rows(rows, await finalize_inputs(session, rows), actor=actor)


def conclude_ready_rows(rows: Sequence[AnyRow], inputs: FinalizeInputs, *, actor: str) -> ReadyOutcome:
    """Set aside the rows that cannot be finalized now (`finalize_blocker`), conclude the others."""
    on = today()
    ready: list[AnyRow] = []
    blocked: list[Blocked] = []
    for row in rows:
        center = inputs.centers[row.center_id]
        reason = finalize_blocker(
            kind=EvaluationKind(row.kind),
            has_report=row.report is not None,
            has_scores=bool(inputs.scores.get(row.id)),
            not_submitted=row.not_submitted is not None,
            construction_end=center.construction_end,
            today=on,
        )
        if reason is None:
            ready.append(row)
        else:
            blocked.append(Blocked(evaluation_id=row.id, center_id=row.center_id, year=row.year, reason=reason))
    finalized, items = conclude_rows(ready, inputs, actor=actor)
    return ReadyOutcome(finalized=finalized, items=items, blocked=blocked)


async def finalize_inputs(session: AsyncSession, rows: Sequence[AnyRow]) -> FinalizeInputs:
    center_ids = {row.center_id for row in rows}
    max_year = max(row.year for row in rows)
    return FinalizeInputs(
        centers=await queries.centers_by_id(session, center_ids),
        letters=await queries.letters_by_center(session, center_ids),
        scores=await queries.expert_scores_by_indicator(session, [row.id for row in rows]),
        prior=await queries.prior_results(session, center_ids, max_year + 1),
        # Earlier years' reports only: each row's own report is on the row.
        reports=await queries.reports_of(session, center_ids, max_year - 1),
    )


def conclude_rows(rows: Sequence[AnyRow], inputs: FinalizeInputs, *, actor: str) -> tuple[Finalized, list[PreviewItem]]:
    """Score and conclude each row and prepare every write; no I/O, so it may run in a worker thread."""
    results: list[queries.FinalizedResult] = []
    events: list[tuple[EventData, str]] = []
    history: list[dict[str, Any]] = []
    items: list[PreviewItem] = []
    for row in rows:
        center = inputs.centers[row.center_id]
        rules, system = _system_of(row)
        approval = letter_from_approval(
            center_id=str(row.center_id), targets=center.targets or {}, system=system, rules=rules
        )
        letter = effective_letter(
            approval=approval, letter=_letter_of(row.center_id, inputs.letters.get(row.center_id))
        )
        try:
            conclusion = conclude(
                evaluation_id=str(row.id),
                kind=EvaluationKind(row.kind),
                year=row.year,
                center=CenterFacts(
                    center_id=str(row.center_id),
                    status=center.status,
                    tier=center.tier,
                    approved_on=center.approved_on,
                    construction_end=center.construction_end,
                ),
                report=_report_of(row.year, row.report),
                # conclude takes this year's report from `report`; the others are the earlier years'.
                reports=[
                    _report_of(r.year, r.report) for r in inputs.reports.get(row.center_id, []) if r.year < row.year
                ],
                expert_scores=inputs.scores.get(row.id, {}),
                prior=[
                    PriorResult(evaluation_id=str(p.id), year=p.year, grade=p.grade)
                    for p in inputs.prior.get(row.center_id, [])
                    if p.year < row.year
                ],
                system=system,
                rules=rules,
                letter=letter,
                not_submitted=row.not_submitted is not None,
            )
        except LetterRefused as error:
            raise Problem(
                409, "letter-unusable", f"evaluation {row.id}: {error}; correct the responsibility letter first"
            ) from error
        revision = row.revision + 1
        items.append(
            PreviewItem(
                evaluation_id=row.id,
                center_id=row.center_id,
                year=row.year,
                kind=row.kind,
                score=conclusion.score.total,
                grade=str(conclusion.score.grade),
                not_submitted=row.not_submitted is not None,
                consecutive_unqualified=conclusion.consequences.consecutive_unqualified,
                delist_due=conclusion.consequences.delist,
                acceptance_passed=conclusion.acceptance.passed if conclusion.acceptance else None,
            )
        )
        results.append(
            queries.FinalizedResult(
                id=row.id,
                score=conclusion.score.total,
                grade=str(conclusion.score.grade),
                consecutive_unqualified=conclusion.consequences.consecutive_unqualified,
                result_json=to_json(_result_document(conclusion, letter)).decode(),
            )
        )
        history.append(
            {
                "evaluation_id": row.id,
                "action": str(Action.FINALIZE),
                "actor": actor,
                "detail": {
                    "revision": revision,
                    "score": str(conclusion.score.total),
                    "grade": str(conclusion.score.grade),
                },
            }
        )
        events.extend(
            (data, str(row.center_id))
            for data in consequence_events(
                row=row, conclusion=conclusion, rules=rules, district=center.district, revision=revision
            )
        )
    envelopes, outbox = outbox_rows(events)
    return Finalized(results=results, history=history, envelopes=envelopes, outbox=outbox), items


async def store_finalized(session: AsyncSession, finalized: Finalized) -> None:
    await queries.finalize_many(session, finalized.results)
    await queries.add_history(session, finalized.history)
    await queries.add_to_outbox(session, finalized.outbox)


def _result_document(conclusion: Conclusion, letter: ResponsibilityLetter) -> dict[str, Any]:
    """The stored result; models are left whole so that `to_json` serializes each in one call."""
    return {
        "indicator_system": conclusion.score.indicator_system,
        "indicator_system_version": conclusion.score.indicator_system_version,
        "rules": conclusion.score.rules,
        "rules_version": conclusion.score.rules_version,
        "adjusted_by_letter": letter.reference if (letter.weights or letter.targets) else None,
        "breakdown": conclusion.score.breakdown,
        "consequences": conclusion.consequences,
        "unqualified_run": list(conclusion.unqualified_run),
        "milestones": [{**check.model_dump(mode="json"), "met": check.met} for check in conclusion.milestones],
        "acceptance": conclusion.acceptance,
    }


def consequence_events(
    *, row: AnyRow, conclusion: Conclusion, rules: EvaluationRules, district: str | None, revision: int
) -> list[EventData]:
    """The events one finalize emits: always EvaluationCompleted; Failed / Excellent; milestones; acceptance."""
    common: dict[str, Any] = {
        "evaluation_id": row.id,
        "center_id": row.center_id,
        "year": row.year,
        "kind": row.kind,
        "score": float(conclusion.score.total),
        "grade": str(conclusion.score.grade),
        "indicator_system": conclusion.score.indicator_system,
        "round_id": row.round_id,
        "rules": conclusion.score.rules,
        "district": district,
        "revision": revision,
    }
    events: list[EventData] = [EvaluationCompleted(**common)]
    consequences = conclusion.consequences
    if conclusion.score.grade is Grade.UNQUALIFIED:
        events.append(
            EvaluationFailed(
                **common,
                consecutive_unqualified=consequences.consecutive_unqualified,
                evidence=list(conclusion.unqualified_run),
                delist_due=consequences.delist,
                delisting_clause=consequences.delisting_clause,
            )
        )
    if conclusion.score.grade is Grade.EXCELLENT:
        events.append(
            EvaluationExcellent(
                **common,
                priority_support=consequences.priority_support,
                priority_support_clause=consequences.priority_support_clause,
            )
        )
    for check in conclusion.milestones:
        events.append(
            MilestoneChecked(
                evaluation_id=row.id,
                center_id=row.center_id,
                milestone=str(check.checkpoint),
                met=check.met,
                year=row.year,
                revision=revision,
                checks=[
                    MilestoneCheck(
                        measure=figure.figure,
                        figure=figure.actual,
                        target=figure.target,
                        met=figure.met,
                        name_zh=figure.name_zh,
                        from_letter=figure.from_letter,
                    )
                    for figure in check.figures
                ],
            )
        )
    if conclusion.acceptance is not None:
        events.append(
            AcceptanceCompleted(
                evaluation_id=row.id,
                center_id=row.center_id,
                passed=conclusion.acceptance.passed,
                reasons=[reason.zh for reason in conclusion.acceptance.reasons],
                reasons_en=[reason.en for reason in conclusion.acceptance.reasons],
                year=row.year,
                grade=str(conclusion.score.grade),
                revision=revision,
            )
        )
    return events


def outbox_rows(events: list[tuple[EventData, str]]) -> tuple[list[CloudEvent], list[queries.OutboxRow]]:
    """Many events as outbox rows (`record_event`, in bulk), in the order given; the payloads already JSON."""
    envelopes = [CloudEvent.of(data, subject=subject) for data, subject in events]
    return envelopes, [
        queries.OutboxRow(
            event_id=envelope.id,
            subject=envelope.nats_subject,
            event_type=envelope.type,
            aggregate_id=envelope.subject,
            aggregate_seq=data.aggregate_sequence(),
            payload_json=envelope.model_dump_json(exclude_none=True),
        )
        for envelope, (data, _) in zip(envelopes, events, strict=True)
    ]


# ---- queries ----


async def list_evaluations(session: AsyncSession, principal: Principal, **filters: Any) -> Sequence[AnyRow]:
    return await queries.list_evaluations(session, reach_of(principal), **filters)


async def center_evaluations(
    session: AsyncSession,
    principal: Principal,
    center_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[int, uuid.UUID] | None,
) -> Sequence[AnyRow]:
    reach = reach_of(principal)
    rows = await queries.list_evaluations(
        session, reach, center_id=center_id, limit=limit, after=after, ascending_years=True
    )
    if not rows and after is None and await queries.get_center(session, center_id, reach) is None:
        raise NotFound("center", center_id)
    return rows


async def evaluation_details(
    session: AsyncSession, principal: Principal, row: AnyRow
) -> tuple[Sequence[AnyRow], list[AnyRow], Sequence[AnyRow]]:
    """Assignments, expert scores (an expert sees only their own) and history of one evaluation."""
    assigned = await queries.assignments_of(session, row.id)
    scores = (await queries.scores_of(session, [row.id])).get(row.id, [])
    if not principal.sees_everything and principal.has_role("expert"):
        scores = [s for s in scores if s.expert == principal.subject]
        assigned = [a for a in assigned if a.expert == principal.subject]
    return assigned, scores, await queries.history_of(session, row.id)


@dataclass(frozen=True)
class AtRisk:
    row: AnyRow
    reasons: list[dict[str, Any]]


async def centers_at_risk(session: AsyncSession, principal: Principal) -> list[AtRisk]:
    """Centers whose latest finalized result is unqualified, or whose latest milestone check missed a target."""
    found: list[AtRisk] = []
    for row in await queries.latest_finalized(session, reach_of(principal), EVALUABLE_STATUSES):
        reasons: list[dict[str, Any]] = []
        if row.grade == str(Grade.UNQUALIFIED):
            reasons.append(
                {
                    "kind": "unqualified",
                    "year": row.year,
                    "evaluation_id": str(row.id),
                    "consecutive_unqualified": row.consecutive_unqualified,
                }
            )
        for check in (row.result or {}).get("milestones", []):
            if not check.get("met"):
                missed = [f["figure"] for f in check.get("figures", []) if not f.get("met")]
                reasons.append(
                    {
                        "kind": "milestone_missed",
                        "year": row.year,
                        "evaluation_id": str(row.id),
                        "milestone": check.get("checkpoint"),
                        "figures": missed,
                    }
                )
        if reasons:
            found.append(AtRisk(row=row, reasons=reasons))
    return found


def rules_for(code: str) -> EvaluationRules:
    return load_rules(code)
