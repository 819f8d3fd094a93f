"""Keep each budget's committed total on its row, so that approving a grant no longer sums the year's grants.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "funding"


def upgrade() -> None:
    op.add_column(
        "budgets",
        sa.Column(
            "committed_fen",
            sa.BigInteger,
            nullable=False,
            server_default=sa.text("0"),
            comment="the amounts of the year's approved and disbursed grants, kept by approve and stop",
        ),
        schema=SCHEMA,
    )
    op.execute(
        """
        UPDATE funding.budgets AS b
        SET committed_fen = coalesce((
            SELECT sum(g.amount_fen) FROM funding.grants AS g
            WHERE g.jurisdiction = b.jurisdiction AND g.budget_year = b.year
              AND g.status IN ('approved', 'disbursed')
        ), 0)
        """
    )


def downgrade() -> None:
    op.drop_column("budgets", "committed_fen", schema=SCHEMA)
