"""areas: wards and communes, not districts

Since 1 July 2025 districts no longer exist. Cameras, events and the feed are scoped by ward; users
by wards and groups of wards. Each former district becomes a group of the wards its cameras were in,
so every user keeps what they could see, and nothing is dropped: an event or camera that had no
ward keeps its former district's name as its ward, which its group also covers (models.areas.expand).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _areas_table():
    return sa.table('areas', sa.column('name', sa.String), sa.column('kind', sa.String),
                    sa.column('members', sa.JSON), sa.column('edited', sa.Boolean),
                    sa.column('updated_at', sa.DateTime(timezone=True)))


def _no_default(table: str, column: str) -> None:
    """The '' default only served to fill the new NOT NULL column; PostgreSQL can drop it (SQLite
    cannot, and the application always writes the column)."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT')


# Plain ALTER TABLE statements throughout: SQLite's batch mode would rebuild `cameras` and `users`,
# and dropping them (even to rebuild them) cascades to zones and trips the events' foreign keys.
def upgrade() -> None:
    op.create_table('areas',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    bind = op.get_bind()
    cams = bind.execute(sa.text('SELECT id, district, ward FROM cameras')).all()
    users = bind.execute(sa.text('SELECT id, districts FROM users')).all()
    event_districts = [r[0] for r in bind.execute(sa.text('SELECT DISTINCT district FROM events')).all()]

    # each former district becomes a group of the wards its cameras were in
    groups: dict[str, set] = {}
    for _id, district, ward in cams:
        members = groups.setdefault(district, set())
        if ward:
            members.add(ward)
    for _id, districts in users:
        for d in (json.loads(districts) if isinstance(districts, str) else districts) or []:
            groups.setdefault(d, set())
    for d in event_districts:
        groups.setdefault(d, set())
    wards = {w for m in groups.values() for w in m}
    now = datetime.now(timezone.utc)
    rows = [{'name': w, 'kind': 'ward', 'members': [], 'edited': False, 'updated_at': now} for w in sorted(wards)]
    rows += [{'name': d, 'kind': 'group', 'members': sorted(m), 'edited': False, 'updated_at': now}
             for d, m in sorted(groups.items()) if d not in wards]
    if rows:
        bind.execute(sa.insert(_areas_table()), rows)

    # events: the camera's ward, or the former district where the camera had none
    op.execute("ALTER TABLE events ADD COLUMN ward VARCHAR(100) NOT NULL DEFAULT ''")
    op.execute('UPDATE events SET ward = COALESCE((SELECT c.ward FROM cameras c WHERE c.id = events.camera_id), '
               'district)')
    _no_default('events', 'ward')
    op.execute('DROP INDEX ix_events_district_raised')
    op.execute('ALTER TABLE events DROP COLUMN district')
    op.execute('CREATE INDEX ix_events_ward_raised ON events (ward, raised_at)')

    # cameras: the ward becomes required (the former district where there was none)
    op.execute("ALTER TABLE cameras ADD COLUMN ward_required VARCHAR(100) NOT NULL DEFAULT ''")
    op.execute('UPDATE cameras SET ward_required = COALESCE(ward, district)')
    _no_default('cameras', 'ward_required')
    op.execute('DROP INDEX ix_cameras_district')
    op.execute('ALTER TABLE cameras DROP COLUMN district')
    op.execute('ALTER TABLE cameras DROP COLUMN ward')
    op.execute('ALTER TABLE cameras RENAME COLUMN ward_required TO ward')
    op.execute('CREATE INDEX ix_cameras_ward ON cameras (ward)')

    op.execute('ALTER TABLE feed RENAME COLUMN district TO ward')
    op.execute('ALTER TABLE users RENAME COLUMN districts TO areas')


def downgrade() -> None:
    """Back to districts: a ward's district is the first group that holds it, else the ward itself."""
    bind = op.get_bind()
    district_of: dict[str, str] = {}
    for name, members in bind.execute(sa.text("SELECT name, members FROM areas WHERE kind = 'group' ORDER BY name")):
        for w in (json.loads(members) if isinstance(members, str) else members) or []:
            district_of.setdefault(w, name)

    op.execute('ALTER TABLE users RENAME COLUMN areas TO districts')
    op.execute('ALTER TABLE feed RENAME COLUMN ward TO district')

    for table in ('cameras', 'events'):
        op.execute(f"ALTER TABLE {table} ADD COLUMN district VARCHAR(100) NOT NULL DEFAULT ''")
        _no_default(table, 'district')
        for (ward,) in bind.execute(sa.text(f'SELECT DISTINCT ward FROM {table}')).all():
            bind.execute(sa.text(f'UPDATE {table} SET district = :d WHERE ward = :w'),
                         {'d': district_of.get(ward, ward), 'w': ward})
    op.execute('DROP INDEX ix_events_ward_raised')
    op.execute('ALTER TABLE events DROP COLUMN ward')
    op.execute('CREATE INDEX ix_events_district_raised ON events (district, raised_at)')

    op.execute('ALTER TABLE cameras ADD COLUMN ward_optional VARCHAR(100)')
    op.execute('UPDATE cameras SET ward_optional = ward')
    op.execute('DROP INDEX ix_cameras_ward')
    op.execute('ALTER TABLE cameras DROP COLUMN ward')
    op.execute('ALTER TABLE cameras RENAME COLUMN ward_optional TO ward')
    op.execute('CREATE INDEX ix_cameras_district ON cameras (district)')
    op.drop_table('areas')
