"""evidence files, clips, retention

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'kind')
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_files_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clip', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('clip_state', sa.String(length=16), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('clip_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('clip_ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('media_purged_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('media_purged_at')
        batch_op.drop_column('clip_ended_at')
        batch_op.drop_column('clip_started_at')
        batch_op.drop_column('clip_state')
        batch_op.drop_column('clip')

    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_files_event_id'))

    op.drop_table('evidence_files')
