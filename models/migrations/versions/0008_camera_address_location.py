"""cameras: the address they watch and its coordinates, for the console's map link

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN, not a batch: on SQLite a batch copies the table and drops the old one,
# which other tables' foreign keys to cameras forbid.
def upgrade() -> None:
    op.add_column('cameras', sa.Column('address', sa.String(length=300), nullable=True))
    op.add_column('cameras', sa.Column('latitude', sa.Float(), nullable=True))
    op.add_column('cameras', sa.Column('longitude', sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column('cameras', 'longitude')
    op.drop_column('cameras', 'latitude')
    op.drop_column('cameras', 'address')
