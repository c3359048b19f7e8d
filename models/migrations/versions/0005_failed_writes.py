"""failed writes (a worker's dead letters); the address of each user's last sign-in

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('failed_writes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker', sa.String(length=64), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('traceback', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_failed_writes_at'), 'failed_writes', ['at'], unique=False)
    op.add_column('users', sa.Column('last_login_ip', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE users DROP COLUMN last_login_ip')
    op.drop_index(op.f('ix_failed_writes_at'), table_name='failed_writes')
    op.drop_table('failed_writes')
