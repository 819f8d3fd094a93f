"""An inbox item may be addressed to one department of a plan (its department officers read it).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "inbox_items",
        sa.Column("department", sa.String(100), comment="a plan's department: only its department officers read it"),
        schema="notification",
    )


def downgrade() -> None:
    op.drop_column("inbox_items", "department", schema="notification")
