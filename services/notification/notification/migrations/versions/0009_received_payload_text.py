"""The log of received events keeps each event's JSON text as written: it is the body of the event's webhooks.

As jsonb, the payload was parsed into PostgreSQL's binary form on the way in, and on the way out decoded by the
worker and encoded again for every webhook it sent. As json, the text is stored as it was written (compact, UTF-8)
and read back as the body. Rows already there keep jsonb's rendering of their text.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE notification.received_events ALTER COLUMN payload TYPE json USING payload::json")


def downgrade() -> None:
    op.execute("ALTER TABLE notification.received_events ALTER COLUMN payload TYPE jsonb USING payload::jsonb")
