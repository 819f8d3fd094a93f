"""The registry schema's event backbone and its centers.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from tic_shared.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables("registry")
    op.create_table(
        "centers",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("tier", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("district", sa.String(40), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("code", sa.String(40), unique=True),
        sa.Column("approved_on", sa.Date),
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0", comment="events emitted so far"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="registry",
    )


def downgrade() -> None:
    op.drop_table("centers", schema="registry")
    drop_messaging_tables("registry")
