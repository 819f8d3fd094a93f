"""Request and response bodies of the evaluation API."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from evaluation.domain.evaluation import EVALUABLE_STATUSES, EvaluationStatus, allowed_actions
from evaluation.domain.indicators import IndicatorSystem, ResponsibilityLetter
from evaluation.domain.report import Ecosystem, Investment, Projects, Results, Team
from evaluation.domain.rules import Grade
from evaluation.service.centers import AtRisk
from evaluation.service.evaluations import EvaluationView
from evaluation.service.finalizing import FinalizedRound, FinalizePreview
from evaluation.service.letters import LetterView
from evaluation.service.rounds import CentersAdded, RoundView
from evaluation.store.records import CenterRecord, LocatedEvaluation
from tic_shared.bounds import MAX_FEN
from tic_shared.pagination import decode_cursor
from tic_shared.problems import Problem
from tic_shared.request_model import RequestModel

Code = Annotated[str, Field(min_length=1, max_length=20, examples=["1.1"])]


class _In(RequestModel):
    pass


T = TypeVar("T")
R = TypeVar("R")
Model = TypeVar("Model", bound=BaseModel)


def present(model: type[Model], source: object, **given: Any) -> Model:
    """`model` with each field read off `source` by its name, except those `given`."""
    return model(**{name: getattr(source, name) for name in model.model_fields if name not in given}, **given)


def year_position(cursor: str | None) -> tuple[int, uuid.UUID] | None:
    """The (year, id) an evaluations cursor stands at; a cursor this API did not return is a 400."""
    if not cursor:
        return None
    position = decode_cursor(cursor)
    try:
        return int(position["year"]), uuid.UUID(str(position["id"]))
    except (KeyError, TypeError, ValueError) as error:
        raise Problem(400, "invalid-cursor", "query.cursor is not a cursor this API returned") from error


def at_year(row: LocatedEvaluation) -> dict[str, Any]:
    return {"year": row.year, "id": str(row.id)}


# ---- indicator systems ----


class IndicatorSystemSummary(BaseModel):
    code: str = Field(examples=["ningbo-tic-2022"])
    version: int
    name_zh: str
    name_en: str
    effective_from: date
    total_points: Decimal
    first_level_count: int = Field(examples=[10])
    indicator_count: int = Field(examples=[42])

    @classmethod
    def of(cls, system: IndicatorSystem) -> Self:
        return present(cls, system, first_level_count=len(system.first_level), indicator_count=len(system.indicators))


# ---- centers ----


class CenterOut(BaseModel):
    """What the evaluation service knows of a center, from the registry's events."""

    center_id: uuid.UUID
    code: str | None = Field(examples=["NB-TIC-2024-003"])
    name_zh: str | None
    tier: str = Field(examples=["municipal_tic"])
    status: str = Field(examples=["building"])
    district: str = Field(examples=["yinzhou"])
    lead_unit: dict[str, Any] | None
    approved_on: date | None
    construction_start: date | None
    construction_end: date | None
    targets: dict[str, Any]
    last_sequence: int
    evaluable: bool = Field(description="building or operating, hence part of the annual rounds")

    @classmethod
    def of(cls, center: CenterRecord) -> Self:
        return present(
            cls,
            center,
            targets=center.targets or {},
            evaluable=center.status in EVALUABLE_STATUSES and center.approved_on is not None,
        )


class LetterIn(_In):
    """A center's responsibility-letter adjustments; weights must still sum to the system's total points."""

    reference: Annotated[str | None, Field(max_length=200, examples=["甬科责〔2024〕3号"])] = None
    weights: dict[Code, Annotated[Decimal, Field(ge=0, le=1000, allow_inf_nan=False)]] = Field(
        default_factory=dict, examples=[{"5.2": "4", "5.5": "0"}]
    )
    targets: dict[Code, Annotated[int, Field(ge=0, le=MAX_FEN, strict=True)]] = Field(
        default_factory=dict, examples=[{"6.4": 40}]
    )
    milestone_targets: dict[
        Annotated[str, Field(max_length=40)],
        dict[Annotated[str, Field(max_length=60)], Annotated[int, Field(ge=0, le=MAX_FEN, strict=True)]],
    ] = Field(default_factory=dict, examples=[{"two_years": {"team_total": 150}}])


class LetterOut(BaseModel):
    center_id: uuid.UUID
    version: int = Field(description="0 while no letter was recorded")
    recorded: ResponsibilityLetter | None = Field(description="What the bureau recorded")
    from_approval: ResponsibilityLetter = Field(description="What CenterApproved.targets carried")
    effective: ResponsibilityLetter = Field(description="What scoring and milestone checks use")

    @classmethod
    def of(cls, view: LetterView) -> Self:
        return present(cls, view)


# ---- rounds ----


class RoundIn(_In):
    year: Annotated[int, Field(strict=True, ge=2000, le=2100, examples=[2025])]


class Progress(BaseModel):
    total: int
    reported: int
    scored: int = Field(description="every qualitative indicator has at least one expert score")
    finalized: int


class RoundOut(BaseModel):
    id: uuid.UUID
    year: int
    indicator_system: str
    rules: str
    opened_by: str
    opened_at: datetime
    progress: Progress
    grade_distribution: dict[str, int] = Field(
        examples=[{"excellent": 3, "good": 10, "qualified": 5, "unqualified": 1}]
    )

    @classmethod
    def of(cls, view: RoundView) -> Self:
        grades = view.counts.grades
        return present(
            cls,
            view.round,
            progress=present(Progress, view.counts),
            grade_distribution={str(grade): grades.get(str(grade), 0) for grade in Grade},
        )


class PreviewItemOut(BaseModel):
    """What finalizing one evaluation decides, and what follows from it."""

    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    year: int
    kind: str = Field(examples=["annual"])
    score: Decimal = Field(examples=["58.40"])
    grade: str = Field(examples=["unqualified"])
    not_submitted: bool = Field(description="recorded as not submitted by a reviewer")
    consecutive_unqualified: int = Field(description="unqualified results of consecutive years, ending with this")
    delist_due: bool = Field(description="the rules' count is reached for a tier they delist: the registry delists")
    acceptance_passed: bool | None = Field(description="for an acceptance (验收): passed, else cancelled")


class BlockedOut(BaseModel):
    evaluation_id: uuid.UUID
    center_id: uuid.UUID
    year: int
    reason: str = Field(
        description="Why it stays open, in English.",
        examples=["it has no report and no scores: wait for the report, or record it as not submitted"],
    )
    reason_zh: str = Field(
        description="Why it stays open, in Chinese.",
        examples=["既无年度报告也无专家评分：请等待报告，或注明原因后记为未提交"],
    )


class FinalizePreviewOut(BaseModel):
    """The consequences of finalizing, shown before it happens. Confirm by sending `preview_id` back."""

    preview_id: str = Field(examples=["4f1c0e9a2b7d4c3e8a1f0b2c3d4e5f60"])
    finalizes: int = Field(description="how many evaluations finalizing would lock")
    grades: dict[str, int] = Field(examples=[{"good": 12, "unqualified": 2}])
    becoming_unqualified: list[PreviewItemOut] = Field(description="the results graded unqualified")
    delisting_due: list[PreviewItemOut] = Field(description="centers the registry will delist as a result")
    acceptances: list[PreviewItemOut] = Field(description="acceptances, passed or failed (failed ⇒ cancelled)")
    blocked: list[BlockedOut] = Field(description="evaluations left open, and why")

    @classmethod
    def of(cls, preview: FinalizePreview) -> Self:
        items = [PreviewItemOut.model_validate(item, from_attributes=True) for item in preview.items]
        grades: dict[str, int] = {}
        for item in items:
            grades[item.grade] = grades.get(item.grade, 0) + 1
        return cls(
            preview_id=preview.preview_id,
            finalizes=len(items),
            grades=grades,
            becoming_unqualified=[item for item in items if item.grade == "unqualified"],
            delisting_due=[item for item in items if item.delist_due],
            acceptances=[item for item in items if item.acceptance_passed is not None],
            blocked=[
                BlockedOut(
                    evaluation_id=b.evaluation_id,
                    center_id=b.center_id,
                    year=b.year,
                    reason=b.why.en,
                    reason_zh=b.why.zh,
                )
                for b in preview.blocked
            ],
        )


class FinalizeIn(_In):
    """The confirmation of a finalize: the preview the caller saw."""

    confirm: Annotated[str, Field(min_length=1, max_length=64, examples=["4f1c0e9a2b7d4c3e8a1f0b2c3d4e5f60"])]


class NotSubmittedIn(_In):
    reason: Annotated[
        str, Field(min_length=1, max_length=2000, examples=["截至评价截止日未提交年度报告，经催告仍未提交"])
    ]


class RoundFinalized(BaseModel):
    finalized_now: int
    consequences: FinalizePreviewOut = Field(description="what the finalize decided and what follows from it")
    round: RoundOut

    @classmethod
    def of(cls, view: FinalizedRound) -> Self:
        return cls(
            finalized_now=len(view.preview.items),
            consequences=FinalizePreviewOut.of(view.preview),
            round=RoundOut.of(view.round),
        )


class RoundCentersAdded(BaseModel):
    added: int = Field(description="Evaluations opened now; 0 when every eligible center already had one")
    round: RoundOut

    @classmethod
    def of(cls, view: CentersAdded) -> Self:
        return cls(added=view.added, round=RoundOut.of(view.round))


# ---- evaluations ----


class ReportIn(_In):
    """年度报告: the center's figures for the evaluation's year. Money in fen; a figure not reported is omitted."""

    investment: Investment = Field(default_factory=Investment)
    team: Team = Field(default_factory=Team)
    projects: Projects = Field(default_factory=Projects)
    results: Results = Field(default_factory=Results)
    ecosystem: Ecosystem = Field(default_factory=Ecosystem)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "investment": {"lead_unit_fen": 3_000_000_000, "municipal_fiscal_fen": 500_000_000},
                    "team": {"total": 120, "high_level_teams": 2},
                    "results": {"patents": 30},
                }
            ]
        },
    )


class AssignmentIn(_In):
    expert: Annotated[str, Field(min_length=1, max_length=200, examples=["expert-zhang"])]
    indicators: Annotated[list[Code] | None, Field(min_length=1, max_length=100, examples=[["1.1", "1.2"]])] = None


class ScoresIn(_In):
    scores: Annotated[
        dict[Code, Annotated[Decimal, Field(allow_inf_nan=False, max_digits=12)]],
        Field(min_length=1, examples=[{"1.1": 85, "1.2": "78.5"}]),
    ]


class ReopenIn(_In):
    reason: Annotated[str, Field(min_length=1, max_length=2000, examples=["专家复核：指标 8.2 专利数据更正"])]


class Assignment(BaseModel):
    expert: str
    indicators: list[str]
    assigned_by: str
    assigned_at: datetime


class ExpertScoreOut(BaseModel):
    expert: str
    indicator: str
    score: Decimal
    scored_at: datetime


class HistoryEntry(BaseModel):
    action: str
    actor: str
    at: datetime
    reason: str | None = None
    detail: dict[str, Any] | None = None


class _EvaluationFields(BaseModel):
    """What every answer about an evaluation says of it (each answer presents it from its own source)."""

    id: uuid.UUID
    round_id: uuid.UUID
    center_id: uuid.UUID
    center_code: str | None
    center_name_zh: str | None
    district: str
    year: int
    kind: str = Field(examples=["annual"])
    status: str = Field(examples=["reported"])
    version: int
    revision: int = Field(description="How many times it was finalized")
    score: Decimal | None = Field(examples=["83.25"])
    grade: str | None = Field(examples=["good"])
    consecutive_unqualified: int | None
    reported_at: datetime | None
    finalized_at: datetime | None


class EvaluationSummary(_EvaluationFields):
    @classmethod
    def of(cls, row: LocatedEvaluation) -> Self:
        return present(cls, row, center_name_zh=row.name_zh)


class EvaluationOut(_EvaluationFields):
    report: dict[str, Any] | None
    result: dict[str, Any] | None = Field(
        description="breakdown per indicator (missing figures score 0 with a note), milestones, acceptance"
    )
    allowed_actions: list[str]
    assignments: list[Assignment]
    scores: list[ExpertScoreOut]
    history: list[HistoryEntry]

    @classmethod
    def of(cls, view: EvaluationView) -> Self:
        row = view.evaluation
        return present(
            cls,
            row,
            center_name_zh=row.name_zh,
            allowed_actions=[str(action) for action in allowed_actions(EvaluationStatus(row.status))],
            assignments=[present(Assignment, a) for a in view.assignments],
            scores=[present(ExpertScoreOut, s) for s in view.scores],
            history=[present(HistoryEntry, h) for h in view.history],
        )


class CenterEvaluation(_EvaluationFields):
    result: dict[str, Any] | None

    @classmethod
    def of(cls, row: LocatedEvaluation) -> Self:
        return present(cls, row, center_name_zh=row.name_zh)


class AtRiskOut(BaseModel):
    center_id: uuid.UUID
    center_code: str | None
    center_name_zh: str | None
    district: str
    latest_year: int
    latest_grade: str | None
    reasons: list[dict[str, Any]] = Field(
        examples=[[{"kind": "unqualified", "year": 2025, "evaluation_id": "…", "consecutive_unqualified": 1}]]
    )

    @classmethod
    def of(cls, found: AtRisk) -> Self:
        row = found.evaluation
        return present(
            cls, row, center_name_zh=row.name_zh, latest_year=row.year, latest_grade=row.grade, reasons=found.reasons
        )
