"""worker_nodes and camera_leases (cameras shared out over workers, with fencing tokens), and
events.event_key (one event per violation, however often it is stored)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'worker_nodes',
        sa.Column('id', sa.String(length=120), nullable=False),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('capacity', sa.Float(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stopping', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_worker_nodes_heartbeat_at', 'worker_nodes', ['heartbeat_at'])
    op.create_table(
        'camera_leases',
        sa.Column('camera_id', sa.String(length=64), nullable=False),
        sa.Column('worker_id', sa.String(length=120), nullable=True),
        sa.Column('token', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('camera_id'),
    )
    op.create_index('ix_camera_leases_worker_id', 'camera_leases', ['worker_id'])
    # plain ADD COLUMN and a unique index (a SQLite batch would copy and drop events)
    op.add_column('events', sa.Column('event_key', sa.String(length=300), nullable=True))
    op.create_index('uq_events_event_key', 'events', ['event_key'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_events_event_key', table_name='events')
    op.drop_column('events', 'event_key')
    op.drop_index('ix_camera_leases_worker_id', table_name='camera_leases')
    op.drop_table('camera_leases')
    op.drop_index('ix_worker_nodes_heartbeat_at', table_name='worker_nodes')
    op.drop_table('worker_nodes')
