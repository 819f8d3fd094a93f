"""Center projection, responsibility letters, rounds, evaluations, expert assignments and scores, history.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "evaluation"


def upgrade() -> None:
    op.create_table(
        "centers",
        sa.Column("center_id", sa.Uuid, primary_key=True),
        sa.Column("code", sa.String(40)),
        sa.Column("name_zh", sa.String(200)),
        sa.Column("tier", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("lead_unit", JSONB),
        sa.Column("approved_on", sa.Date),
        sa.Column("construction_start", sa.Date),
        sa.Column("construction_end", sa.Date),
        sa.Column(
            "targets", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"), comment="CenterApproved.targets"
        ),
        sa.Column("last_sequence", sa.Integer, nullable=False, comment="the registry sequence last applied"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("center_id", name="pk_centers"),
        schema=S,
        comment="projection of the registry's centers, kept from its events",
    )
    op.create_index("ix_centers_status", "centers", ["status"], schema=S)
    op.create_index("ix_centers_district", "centers", ["district"], schema=S)
    op.create_table(
        "letters",
        sa.Column("center_id", sa.Uuid),
        sa.Column("reference", sa.String(200)),
        sa.Column("weights", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("targets", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("milestone_targets", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("center_id", name="pk_letters"),
        schema=S,
        comment="responsibility-letter adjustments per center (建设责任书)",
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Uuid),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("indicator_system", sa.String(100), nullable=False),
        sa.Column("rules", sa.String(100), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_rounds"),
        sa.UniqueConstraint("year", name="uq_rounds_year"),
        schema=S,
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Uuid),
        sa.Column("round_id", sa.Uuid, nullable=False),
        sa.Column("center_id", sa.Uuid, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("report", JSONB),
        sa.Column("reported_at", sa.DateTime(timezone=True)),
        sa.Column("reported_by", sa.String(200)),
        sa.Column("score", sa.Numeric(7, 2)),
        sa.Column("grade", sa.String(20)),
        sa.Column("consecutive_unqualified", sa.Integer),
        sa.Column("result", JSONB, comment="breakdown, milestones, acceptance, consequences of the last finalize"),
        sa.Column(
            "revision", sa.Integer, nullable=False, server_default=sa.text("0"), comment="how many times finalized"
        ),
        sa.Column("finalized_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
        sa.ForeignKeyConstraint(["round_id"], [f"{S}.rounds.id"], name="fk_evaluations_round_id_rounds"),
        sa.UniqueConstraint("center_id", "year", name="uq_evaluations_center_id"),
        sa.CheckConstraint("status IN ('awaiting_report', 'reported', 'finalized')", name="ck_evaluations_status"),
        sa.CheckConstraint("kind IN ('annual', 'acceptance')", name="ck_evaluations_kind"),
        schema=S,
    )
    op.create_index("ix_evaluations_round_status", "evaluations", ["round_id", "status"], schema=S)
    op.create_table(
        "assignments",
        sa.Column("evaluation_id", sa.Uuid, nullable=False),
        sa.Column("expert", sa.String(200), nullable=False, comment="the expert's subject"),
        sa.Column("indicators", JSONB, nullable=False, comment="the qualitative indicator codes assigned"),
        sa.Column("assigned_by", sa.String(200), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("evaluation_id", "expert", name="pk_assignments"),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], [f"{S}.evaluations.id"], name="fk_assignments_evaluation_id_evaluations"
        ),
        schema=S,
    )
    op.create_index("ix_assignments_expert", "assignments", ["expert"], schema=S)
    op.create_table(
        "expert_scores",
        sa.Column("evaluation_id", sa.Uuid, nullable=False),
        sa.Column("expert", sa.String(200), nullable=False),
        sa.Column("indicator", sa.String(20), nullable=False),
        sa.Column("score", sa.Numeric, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("evaluation_id", "expert", "indicator", name="pk_expert_scores"),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], [f"{S}.evaluations.id"], name="fk_expert_scores_evaluation_id_evaluations"
        ),
        schema=S,
    )
    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger, autoincrement=True),
        sa.Column("evaluation_id", sa.Uuid, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("detail", JSONB),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_history"),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], [f"{S}.evaluations.id"], name="fk_history_evaluation_id_evaluations"
        ),
        schema=S,
        comment="append-only: every report, assignment, score, finalize and reopen",
    )
    op.create_index("ix_history_evaluation", "history", ["evaluation_id", "id"], schema=S)


def downgrade() -> None:
    for table in ("history", "expert_scores", "assignments", "evaluations", "rounds", "letters", "centers"):
        op.drop_table(table, schema=S)
