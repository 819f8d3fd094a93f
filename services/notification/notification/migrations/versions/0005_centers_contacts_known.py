"""Whether the recipients projection has seen a center's contacts (an event carrying them), even an empty list.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

S = "notification"


def upgrade() -> None:
    # NULL until known (not false): the projection fills a fact in only where the row lacks it.
    op.add_column(
        "centers",
        sa.Column("contacts_known", sa.Boolean, comment="an event carrying the contacts was applied"),
        schema=S,
    )
    # A row made before this revision was made from events; its contacts are as known as they will be.
    op.execute(f"UPDATE {S}.centers SET contacts_known = true")


def downgrade() -> None:
    op.drop_column("centers", "contacts_known", schema=S)
