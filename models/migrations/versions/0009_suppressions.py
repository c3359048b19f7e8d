"""suppressions: hard-negative memory (an event dismissed as a false detection)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'suppressions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('camera_id', sa.String(length=64), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('zone_name', sa.String(length=64), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('class_name', sa.String(length=64), nullable=False),
        sa.Column('bbox', sa.JSON(), nullable=False),
        sa.Column('signature', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('last_hit_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id']),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id'),
    )
    op.create_index('ix_suppressions_camera_expires', 'suppressions', ['camera_id', 'expires_at'])


def downgrade() -> None:
    op.drop_index('ix_suppressions_camera_expires', table_name='suppressions')
    op.drop_table('suppressions')
