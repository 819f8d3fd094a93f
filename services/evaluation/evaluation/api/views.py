"""Rows and use-case results as response bodies."""

from typing import Any

from evaluation import service
from evaluation.api.schemas import (
    Assignment,
    BlockedOut,
    CenterEvaluation,
    CenterOut,
    EvaluationOut,
    EvaluationSummary,
    ExpertScoreOut,
    FinalizePreviewOut,
    HistoryEntry,
    PreviewItemOut,
    Progress,
    RoundOut,
)
from evaluation.domain.evaluation import EVALUABLE_STATUSES, EvaluationStatus, allowed_actions
from evaluation.domain.rules import Grade
from evaluation.service import RoundView
from evaluation.store.queries import AnyRow


def center_out(row: AnyRow) -> CenterOut:
    return CenterOut(
        center_id=row.center_id,
        code=row.code,
        name_zh=row.name_zh,
        tier=row.tier,
        status=row.status,
        district=row.district,
        lead_unit=row.lead_unit,
        approved_on=row.approved_on,
        construction_start=row.construction_start,
        construction_end=row.construction_end,
        targets=row.targets or {},
        last_sequence=row.last_sequence,
        evaluable=row.status in EVALUABLE_STATUSES and row.approved_on is not None,
    )


def round_out(view: RoundView) -> RoundOut:
    row, counts = view.row, view.counts
    return RoundOut(
        id=row.id,
        year=row.year,
        indicator_system=row.indicator_system,
        rules=row.rules,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        progress=Progress(
            total=counts["total"], reported=counts["reported"], scored=counts["scored"], finalized=counts["finalized"]
        ),
        grade_distribution={str(grade): counts["grades"].get(str(grade), 0) for grade in Grade},
    )


def _summary_fields(row: AnyRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "round_id": row.round_id,
        "center_id": row.center_id,
        "center_code": row.center_code,
        "center_name_zh": row.name_zh,
        "district": row.district,
        "year": row.year,
        "kind": row.kind,
        "status": row.status,
        "version": row.version,
        "revision": row.revision,
        "score": row.score,
        "grade": row.grade,
        "consecutive_unqualified": row.consecutive_unqualified,
        "reported_at": row.reported_at,
        "finalized_at": row.finalized_at,
    }


def evaluation_summary(row: AnyRow) -> EvaluationSummary:
    return EvaluationSummary(**_summary_fields(row))


def center_evaluation(row: AnyRow) -> CenterEvaluation:
    return CenterEvaluation(**_summary_fields(row), result=row.result)


def evaluation_out(row: AnyRow, assigned: Any, scores: Any, history: Any) -> EvaluationOut:
    return EvaluationOut(
        **_summary_fields(row),
        report=row.report,
        result=row.result,
        allowed_actions=[str(action) for action in allowed_actions(EvaluationStatus(row.status))],
        assignments=[
            Assignment(
                expert=a.expert, indicators=list(a.indicators), assigned_by=a.assigned_by, assigned_at=a.assigned_at
            )
            for a in assigned
        ],
        scores=[
            ExpertScoreOut(expert=s.expert, indicator=s.indicator, score=s.score, scored_at=s.scored_at) for s in scores
        ],
        history=[
            HistoryEntry(action=h.action, actor=h.actor, at=h.at, reason=h.reason, detail=h.detail) for h in history
        ],
    )


def preview_out(preview: service.FinalizePreview) -> FinalizePreviewOut:
    items = [PreviewItemOut.model_validate(item, from_attributes=True) for item in preview.items]
    grades: dict[str, int] = {}
    for item in items:
        grades[item.grade] = grades.get(item.grade, 0) + 1
    return FinalizePreviewOut(
        preview_id=preview.preview_id,
        finalizes=len(items),
        grades=grades,
        becoming_unqualified=[item for item in items if item.grade == "unqualified"],
        delisting_due=[item for item in items if item.delist_due],
        acceptances=[item for item in items if item.acceptance_passed is not None],
        blocked=[BlockedOut.model_validate(b, from_attributes=True) for b in preview.blocked],
    )
