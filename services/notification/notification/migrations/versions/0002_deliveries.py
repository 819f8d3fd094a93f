"""Recipients projection, templates, webhook subscriptions, deliveries and their attempts, the in-app inbox.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "notification"


def _now() -> sa.sql.elements.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "centers",
        sa.Column("center_id", sa.Uuid, primary_key=True),
        sa.Column("sequence", sa.Integer, nullable=False, comment="the last registry sequence applied"),
        sa.Column("code", sa.String(50)),
        sa.Column("name_zh", sa.String(300)),
        sa.Column("name_en", sa.String(500)),
        sa.Column("tier", sa.String(50), nullable=False),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("recommender", sa.String(300)),
        sa.Column("lead_unit", JSONB),
        sa.Column("contacts", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("center_id", name="pk_centers"),
        schema=S,
        comment="Who a center's events concern, projected from registry events (never read from registry).",
    )
    op.create_table(
        "templates",
        sa.Column("event_name", sa.String(100), nullable=False),
        sa.Column("locale", sa.String(10), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("source", sa.String(20), nullable=False, comment="package (seeded) or api (edited)"),
        sa.Column("updated_by", sa.String(200)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("event_name", "locale", name="pk_templates"),
        schema=S,
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_types", ARRAY(sa.String(200)), nullable=False),
        sa.Column("description", sa.String(500)),
        sa.Column("secret", sa.String(200), nullable=False, comment="HMAC key; never returned after creation"),
        sa.Column("status", sa.String(20), nullable=False, comment="active, paused or deleted"),
        sa.Column("paused_reason", sa.Text),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_success_at", sa.DateTime(timezone=True)),
        sa.Column("last_failure_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        schema=S,
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False, comment="email, webhook or inbox"),
        sa.Column(
            "recipient", sa.String(400), nullable=False, comment="an address, subscription:<id> or an inbox audience"
        ),
        sa.Column("subscription_id", sa.Uuid),
        sa.Column("locale", sa.String(10)),
        sa.Column("content", JSONB, comment="the rendered message (email)"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column(
            "attempts", sa.Integer, nullable=False, server_default=sa.text("0"), comment="since creation or replay"
        ),
        sa.Column("total_attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("claim_token", sa.Uuid),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("rules_version", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("dead_lettered_at", sa.DateTime(timezone=True)),
        sa.Column("replays", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["subscription_id"], [f"{S}.subscriptions.id"], name="fk_deliveries_subscription_id_subscriptions"
        ),
        sa.UniqueConstraint("event_id", "channel", "recipient", name="uq_deliveries_event_channel_recipient"),
        schema=S,
    )
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status IN ('pending', 'retrying', 'sending')"),
    )
    op.create_index("ix_deliveries_created", "deliveries", ["created_at", "id"], schema=S)
    op.create_index("ix_deliveries_recipient", "deliveries", ["recipient"], schema=S)
    op.create_index("ix_deliveries_subscription", "deliveries", ["subscription_id"], schema=S)
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.BigInteger, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Uuid, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, comment="the delivery's total_attempts at the time"),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
        sa.ForeignKeyConstraint(
            ["delivery_id"], [f"{S}.deliveries.id"], name="fk_delivery_attempts_delivery_id_deliveries"
        ),
        schema=S,
    )
    op.create_index("ix_delivery_attempts_delivery_id", "delivery_attempts", ["delivery_id"], schema=S)
    op.create_table(
        "inbox_items",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(400), nullable=False, comment="the audience, as in deliveries.recipient"),
        sa.Column("user_subject", sa.String(200), comment="one person (token subject), or NULL for a role audience"),
        sa.Column("role", sa.String(50)),
        sa.Column("district", sa.String(100)),
        sa.Column("center_id", sa.Uuid),
        sa.Column("content", JSONB, nullable=False, comment="{locale: {subject, body}}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_items"),
        sa.UniqueConstraint("event_id", "recipient", name="uq_inbox_items_event_recipient"),
        schema=S,
    )
    op.create_index("ix_inbox_items_role", "inbox_items", ["role", "created_at"], schema=S)
    op.create_index("ix_inbox_items_user", "inbox_items", ["user_subject", "created_at"], schema=S)
    op.create_table(
        "inbox_reads",
        sa.Column("item_id", sa.Uuid, nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("item_id", "subject", name="pk_inbox_reads"),
        sa.ForeignKeyConstraint(
            ["item_id"], [f"{S}.inbox_items.id"], name="fk_inbox_reads_item_id_inbox_items", ondelete="CASCADE"
        ),
        schema=S,
    )


def downgrade() -> None:
    for table in ("inbox_reads", "inbox_items", "delivery_attempts", "deliveries", "subscriptions", "templates"):
        op.drop_table(table, schema=S)
    op.drop_table("centers", schema=S)
