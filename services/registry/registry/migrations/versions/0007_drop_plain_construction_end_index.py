"""The deadlines list reads the partial index of active centers by construction end (0005) alone.

The plain index on `construction_end` (0002) served no other query, and beside it the planner misjudged how many
active centers a window holds: over 100,000 centers it ANDed the plain index with the index of live English names,
reading 17,000 entries of that index to keep 605 rows (2.4 ms against 0.8 ms through the partial index alone).
Dropping it leaves the deadlines the one index made for them.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

S = "registry"


def upgrade() -> None:
    op.drop_index("ix_centers_construction_end", "centers", schema=S)


def downgrade() -> None:
    op.create_index("ix_centers_construction_end", "centers", ["construction_end"], unique=False, schema=S)
