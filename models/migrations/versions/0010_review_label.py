"""events: the reviewer's own box and class (review_label), beside the detector's

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (a SQLite batch would copy and drop events, which foreign keys forbid).
def upgrade() -> None:
    op.add_column('events', sa.Column('review_label', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('events', 'review_label')
