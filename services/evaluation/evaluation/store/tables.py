"""Tables of the evaluation schema: the center projection, letters, rounds, evaluations, experts, history."""

from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from tic_shared.audit import AuditedTable
from tic_shared.db import service_metadata
from tic_shared.messaging import messaging_tables

metadata = service_metadata("evaluation")
messaging = messaging_tables(metadata)

centers = Table(
    "centers",
    metadata,
    Column("center_id", Uuid, primary_key=True),
    Column("code", String(40)),
    Column("name_zh", String(200)),
    Column("tier", String(40), nullable=False),
    Column("status", String(40), nullable=False),
    Column("district", String(100), nullable=False),
    Column("lead_unit", JSONB),
    Column("approved_on", Date),
    Column("construction_start", Date),
    Column("construction_end", Date),
    Column("targets", JSONB, nullable=False, server_default=text("'{}'::jsonb"), comment="CenterApproved.targets"),
    Column("last_sequence", Integer, nullable=False, comment="the registry sequence last applied"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_centers_status", "status"),
    Index("ix_centers_district", "district"),
    comment="projection of the registry's centers, kept from its events",
)

letters = Table(
    "letters",
    metadata,
    Column("center_id", Uuid, primary_key=True),
    Column("reference", String(200)),
    Column("weights", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("targets", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("milestone_targets", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    comment="responsibility-letter adjustments per center (建设责任书)",
)

rounds = Table(
    "rounds",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("year", Integer, nullable=False, unique=True),
    Column("indicator_system", String(100), nullable=False),
    Column("rules", String(100), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("round_id", Uuid, ForeignKey("evaluation.rounds.id"), nullable=False),
    Column("center_id", Uuid, nullable=False),
    Column("year", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("report", JSONB),
    Column("reported_at", DateTime(timezone=True)),
    Column("reported_by", String(200)),
    Column("score", Numeric(7, 2)),
    Column("grade", String(20)),
    Column("consecutive_unqualified", Integer),
    Column("result", JSONB, comment="breakdown, milestones, acceptance, consequences of the last finalize"),
    Column("revision", Integer, nullable=False, server_default=text("0"), comment="how many times finalized"),
    Column("not_submitted", JSONB, comment="a reviewer's record that no report came: reason, by, on"),
    Column("finalized_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("center_id", "year"),
    CheckConstraint("status IN ('awaiting_report', 'reported', 'finalized')", name="status"),
    CheckConstraint("kind IN ('annual', 'acceptance')", name="kind"),
    Index("ix_evaluations_round_status", "round_id", "status"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("evaluation_id", Uuid, ForeignKey("evaluation.evaluations.id"), nullable=False),
    Column("expert", String(200), nullable=False, comment="the expert's subject"),
    Column("indicators", JSONB, nullable=False, comment="the qualitative indicator codes assigned"),
    Column("assigned_by", String(200), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("evaluation_id", "expert"),
    Index("ix_assignments_expert", "expert"),
)

expert_scores = Table(
    "expert_scores",
    metadata,
    Column("evaluation_id", Uuid, ForeignKey("evaluation.evaluations.id"), nullable=False),
    Column("expert", String(200), nullable=False),
    Column("indicator", String(20), nullable=False),
    Column("score", Numeric, nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("evaluation_id", "expert", "indicator"),
)


def _chained_entry() -> list[Column[Any]]:
    """Who did it, why, what else, when, and the hash chain (`tic_shared.audit`): the tail of a history row."""
    return [
        Column("actor", String(200), nullable=False),
        Column("reason", Text),
        Column("detail", JSONB),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    ]


history = Table(
    "history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("evaluation_id", Uuid, ForeignKey("evaluation.evaluations.id"), nullable=False),
    Column("action", String(40), nullable=False),
    *_chained_entry(),
    Index("ix_history_evaluation", "evaluation_id", "id"),
    comment="append-only: every report, assignment, score, finalize and reopen; a hash chain per evaluation",
)

HISTORY = AuditedTable(
    history, chain="evaluation_id", content=("evaluation_id", "action", "actor", "reason", "detail", "at")
)
# ---- plans: the figures departments report, and what the bureau decided ----

plan_reports = Table(
    "plan_reports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("plan", String(100), nullable=False),
    Column("indicator", String(100), nullable=False),
    Column("year", Integer, nullable=False),
    Column("revision", Integer, nullable=False, comment="1 for a year's first figure; each new report the next"),
    Column("value", Numeric(24, 6), nullable=False),
    Column("source", Text, nullable=False, comment="where the figure comes from (a yearbook, a bulletin)"),
    Column("note", Text),
    Column("correction_reason", Text, comment="why an accepted figure is corrected"),
    Column("department", String(100), nullable=False, comment="the department that reported it"),
    Column("reported_by", String(200), nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("status", String(20), nullable=False, comment="reported | accepted | returned | superseded"),
    Column("decided_by", String(200)),
    Column("decided_at", DateTime(timezone=True)),
    Column("return_reason", Text),
    Column("version", Integer, nullable=False, server_default=text("1")),
    UniqueConstraint("plan", "indicator", "year", "revision"),
    Index("ix_plan_reports_indicator", "plan", "indicator", "year"),
    comment="every figure ever reported for a plan indicator's year, each revision kept",
)

plan_history = Table(
    "plan_history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("chain", String(210), nullable=False, comment="{plan}/{indicator}"),
    Column("report_id", Uuid, nullable=False),
    Column("action", String(20), nullable=False, comment="reported | accepted | returned"),
    *_chained_entry(),
    Index("ix_plan_history_chain", "chain", "id"),
    comment="append-only: every report, acceptance and return of a plan indicator; a hash chain per indicator",
)

PLAN_HISTORY = AuditedTable(
    plan_history, chain="chain", content=("chain", "report_id", "action", "actor", "reason", "detail", "at")
)

plan_alerts = Table(
    "plan_alerts",
    metadata,
    Column("plan", String(100), primary_key=True),
    Column("indicator", String(100), primary_key=True),
    Column("status", String(20), nullable=False, comment="the status last judged"),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    comment="the last judged status of each indicator: TargetAtRisk goes out once, on the turn to behind",
)

AUDITED = (HISTORY, PLAN_HISTORY)
