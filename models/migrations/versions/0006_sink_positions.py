"""sinks: each outgoing sink's position in the feed, and its dead letters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sink_positions',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('sink_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sink', sa.String(length=100), nullable=False),
    sa.Column('feed_id', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sink_failures_sink'), 'sink_failures', ['sink'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sink_failures_sink'), table_name='sink_failures')
    op.drop_table('sink_failures')
    op.drop_table('sink_positions')
