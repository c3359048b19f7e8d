"""detector_models (the model registry) and shadow_alerts (a candidate's would-be alerts)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'detector_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('path', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('classes', sa.JSON(), nullable=False),
        sa.Column('metrics', sa.JSON(), nullable=False),
        sa.Column('trained_from', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('shadow_share', sa.Float(), nullable=True),
        sa.Column('shadow_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('promoted_by', sa.Integer(), nullable=True),
        sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('replaced_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['users.id']),
        sa.ForeignKeyConstraint(['promoted_by'], ['users.id']),
        sa.ForeignKeyConstraint(['replaced_id'], ['detector_models.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version'),
        sa.UniqueConstraint('sha256'),
    )
    op.create_table(
        'shadow_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('camera_id', sa.String(length=64), nullable=False),
        sa.Column('zone_name', sa.String(length=64), nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('class_name', sa.String(length=64), nullable=False),
        sa.Column('bbox', sa.JSON(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['model_id'], ['detector_models.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_shadow_alerts_model_camera', 'shadow_alerts', ['model_id', 'camera_id'])


def downgrade() -> None:
    op.drop_index('ix_shadow_alerts_model_camera', table_name='shadow_alerts')
    op.drop_table('shadow_alerts')
    op.drop_table('detector_models')
