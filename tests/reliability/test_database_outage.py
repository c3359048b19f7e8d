"""PostgreSQL refusing every connection for a while, under a worker's writes: the writes wait, in
order, and each event is stored exactly once when the database is back."""

import time

import pytest
from sqlalchemy import create_engine, select, text

from models import Database
from models.events import create_event
from models.schema import Event
from urbanwatch.runtime.write_queue import WriteQueue

from ..conftest import PG_ADMIN_URL, empty_pg_database
from ..helpers import add_camera, new_event


@pytest.fixture
def pg():
    with empty_pg_database("urbanwatch_outage") as url:
        db = Database(url)
        db.upgrade()
        yield db
        db.dispose()


def set_reachable(db: Database, reachable: bool) -> None:
    """What a database restart looks like to its clients: connections cut, new ones refused."""
    name = db.url.database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if reachable else "false"}'))
        if not reachable:
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
    admin.dispose()


def test_writes_wait_for_the_database_and_are_stored_once(pg):
    zone = add_camera(pg)
    failed = []
    queue = WriteQueue(lambda what, err: failed.append(what), backoff_initial_s=0.1, backoff_max_s=0.5)

    def store(minute):
        def job() -> bool:
            with pg.write() as s:
                create_event(s, new_event(zone_id=zone, minutes=minute))
            return True
        return job

    for m in range(3):
        queue.put(f"event {m}", store(m))
    queue.run()
    set_reachable(pg, False)
    try:
        for m in range(3, 8):
            queue.put(f"event {m}", store(m))
        queue.run()
        assert len(queue) == 5 and queue.stats().retrying.startswith("event 3: ")
        time.sleep(1.0)
        queue.run()  # still away: still waiting, nothing set aside
        assert len(queue) == 5 and failed == []
    finally:
        set_reachable(pg, True)
    deadline = time.monotonic() + 15
    while len(queue) and time.monotonic() < deadline:
        queue.run()
        time.sleep(0.1)
    assert len(queue) == 0 and failed == [] and queue.stats().retrying is None
    with pg.session() as s:
        minutes = [e.raised_at.minute for e in s.scalars(select(Event).order_by(Event.id))]
    assert minutes == list(range(8))  # every event once, in the order they happened
