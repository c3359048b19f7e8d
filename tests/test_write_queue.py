"""A worker's writes: retried while the database is away, set aside (with their traceback, where an
admin sees them) when they can never succeed, and bounded in number."""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import exc as sa_exc

from api.app import create_app
from models import Database
from models.events import get_event
from models.failed_writes import record_failed_write
from urbanwatch.runtime.write_queue import WriteQueue, is_transient

from .helpers import add_camera, add_event, add_user, bearer, new_event
from .test_api import settings_for


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_write_that_can_never_succeed_does_not_block_the_ones_after_it(db):
    """The old queue retried its head forever: one bad write and no event was ever stored again."""
    zone = add_camera(db)
    first = add_event(db, zone_id=zone)
    failed = []
    queue = WriteQueue(lambda what, err: failed.append((what, err)))

    def duplicate() -> bool:  # the same event id twice: the database refuses it, now and always
        with db.write() as s:
            s.execute(sa.text("INSERT INTO feed (id, type, payload, created_at) VALUES "
                              "(:id, 'event.new', '{}', CURRENT_TIMESTAMP)"), {"id": first})
        return True

    def store() -> bool:
        with db.write() as s:
            from models.events import create_event

            create_event(s, new_event(zone_id=zone, minutes=1))
        return True

    queue.put("a duplicate", duplicate)
    queue.put("the next event", store)
    assert queue.run() is True
    assert len(queue) == 0 and [w for w, _ in failed] == ["a duplicate"]
    assert isinstance(failed[0][1], sa_exc.IntegrityError) and not is_transient(failed[0][1])
    assert queue.stats().failed == 1
    with db.session() as s:
        assert get_event(s, first + 1) is not None  # stored although the write before it failed


def test_a_database_away_for_a_while_is_waited_for_in_order():
    clock = Clock()
    done = []
    down = {"n": 3}

    def flaky() -> bool:
        if down["n"]:
            down["n"] -= 1
            raise sa_exc.OperationalError("INSERT ...", {}, Exception("database is locked"))
        done.append("event")
        return True

    queue = WriteQueue(lambda *_: done.append("set aside"), backoff_initial_s=1, backoff_max_s=4, clock=clock)
    queue.put("new event on cam1", flaky)
    queue.put("end of it", lambda: done.append("end") or True)
    pauses = []
    while len(queue):
        before = clock.t
        queue.run()
        assert queue.run() is False  # nothing is tried again before the pause is over
        if len(queue):
            assert queue.stats().retrying.startswith("new event on cam1: ")
        clock.t = queue._retry_at  # the pause the queue chose
        pauses.append(clock.t - before)
    assert done == ["event", "end"]  # in order, nothing set aside
    assert pauses[:3] == [1, 2, 4] and queue.stats().retrying is None


def test_a_full_queue_gives_up_an_old_camera_status_before_any_event():
    lost = []
    queue = WriteQueue(lambda *_: None, limit=3)
    queue.put("status of cam1 (offline)", lambda: True, supersedable=True)
    queue.put("status of cam1 (online)", lambda: True, supersedable=True)
    queue.put("new event on cam2", lambda: lost.append("no") or True)
    queue.put("new event on cam3", lambda: True)  # full: the second status goes (the first is being tried)
    assert queue.stats().dropped == 1 and len(queue) == 3
    queue.put("new event on cam4", lambda: True)  # full of events: this one is refused, and counted
    assert queue.stats().dropped == 2 and len(queue) == 3
    assert queue.stats().to_dict()["write_backlog"] == 3


def test_admins_see_the_writes_set_aside(db_url, tmp_path):
    db = Database(db_url)
    admin = add_user(db, "admin", "admin", city_wide=True)
    operator = add_user(db, "op", "operator")
    try:
        raise ValueError("zone 'x' has no polygon")
    except ValueError as err:
        with db.write() as s:
            record_failed_write(s, "worker-0", "new event on cam1", err)
    app = create_app(settings_for(db_url, tmp_path / "media"))
    with TestClient(app) as c:
        (row,) = c.get("/api/system/failed-writes", headers=bearer(admin)).json()
        assert row["worker"] == "worker-0" and row["what"] == "new event on cam1"
        assert row["error"] == "ValueError: zone 'x' has no polygon" and "Traceback" in row["traceback"]
        assert c.get("/api/system/failed-writes", headers=bearer(operator)).status_code == 403
    app.state.db.dispose()
    db.dispose()
