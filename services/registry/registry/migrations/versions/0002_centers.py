"""Centers, their objections, their append-only history, evaluation failures seen, registry code counters.

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


def upgrade() -> None:
    op.create_table(
        "centers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False, comment="the name applied for"),
        sa.Column("name_en", sa.String(length=300), nullable=True),
        sa.Column("official_name_zh", sa.String(length=200), nullable=True, comment="set on approval"),
        sa.Column("official_name_en", sa.String(length=300), nullable=True),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("recommender", sa.String(length=200), nullable=True),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("industrial_chain", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("lead_unit_name", sa.String(length=200), nullable=False),
        sa.Column("lead_unit_credit_code", sa.String(length=18), nullable=False),
        sa.Column("lead_unit_type", sa.String(length=40), nullable=False),
        sa.Column("co_builders", JSONB, server_default="[]", nullable=False),
        sa.Column("contacts", JSONB, server_default="[]", nullable=False),
        sa.Column("plan", JSONB, server_default="[]", nullable=False, comment="the 7 sections of 001 attachment 2"),
        sa.Column("targets", JSONB, server_default="{}", nullable=False, comment="the responsibility letter"),
        sa.Column("governance", JSONB, server_default="[]", nullable=False),
        sa.Column("bases", JSONB, server_default="[]", nullable=False),
        sa.Column("independent_legal_person", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("review", JSONB, nullable=True, comment="the expert panel's result"),
        sa.Column("decision", JSONB, nullable=True, comment="the executive meeting's ruling"),
        sa.Column("notice_starts_on", sa.Date(), nullable=True),
        sa.Column("notice_ends_on", sa.Date(), nullable=True, comment="the first day approval is possible"),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("document_no", sa.String(length=100), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column(
            "tier_since",
            sa.Date(),
            nullable=True,
            comment="approval or the last tier change: counts toward program targets",
        ),
        sa.Column("construction_start", sa.Date(), nullable=True),
        sa.Column("construction_end", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True, comment="cancelled or delisted on"),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column(
            "search_text",
            sa.Text(),
            sa.Computed(
                "lower(name_zh || ' ' || coalesce(name_en, '') || ' ' || coalesce(official_name_zh, '') || ' ' "
                "|| coalesce(official_name_en, '') || ' ' || lead_unit_name)",
                persisted=True,
            ),
            comment="every name, lower-cased, for text search",
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False, comment="+1 on every change; the ETag"),
        sa.Column("sequence", sa.Integer(), server_default="0", nullable=False, comment="events emitted so far"),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centers")),
        sa.UniqueConstraint("code", name=op.f("uq_centers_code")),
        schema="registry",
    )
    op.create_index("ix_centers_construction_end", "centers", ["construction_end"], unique=False, schema="registry")
    op.create_index("ix_centers_district_status", "centers", ["district", "status"], unique=False, schema="registry")
    op.create_index("ix_centers_field", "centers", ["field"], unique=False, schema="registry")
    op.create_index(
        "ix_centers_lead_unit_credit_code", "centers", ["lead_unit_credit_code"], unique=False, schema="registry"
    )
    op.create_index("ix_centers_listing", "centers", ["created_at", "id"], unique=False, schema="registry")
    op.create_index("ix_centers_status", "centers", ["status"], unique=False, schema="registry")
    op.create_index("ix_centers_tier", "centers", ["tier"], unique=False, schema="registry")
    op.create_table(
        "code_counters",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_code_counters")),
        schema="registry",
    )
    op.create_table(
        "evaluation_failures",
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("center_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("consecutive_unqualified", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("evaluation_id", name=op.f("pk_evaluation_failures")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_registry_evaluation_failures_center_id"),
        "evaluation_failures",
        ["center_id"],
        unique=False,
        schema="registry",
    )
    op.create_table(
        "center_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("center_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=40), nullable=True),
        sa.Column("to_state", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", JSONB, server_default="{}", nullable=False),
        sa.Column("event_ids", JSONB, server_default="[]", nullable=False),
        sa.ForeignKeyConstraint(
            ["center_id"], ["registry.centers.id"], name=op.f("fk_center_history_center_id_centers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_history")),
        schema="registry",
    )
    op.create_index("ix_center_history_center", "center_history", ["center_id", "id"], unique=False, schema="registry")
    op.create_table(
        "objections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("center_id", sa.Uuid(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(length=200), nullable=False, comment="who objected (person or organisation)"),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column(
            "status", sa.String(length=20), server_default="open", nullable=False, comment="open, upheld, dismissed"
        ),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["center_id"], ["registry.centers.id"], name=op.f("fk_objections_center_id_centers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_registry_objections_center_id"), "objections", ["center_id"], unique=False, schema="registry"
    )


def downgrade() -> None:
    for table in ("objections", "center_history", "evaluation_failures", "code_counters", "centers"):
        op.drop_table(table, schema="registry")
