"""Camera leases on the real databases: fair shares by capacity, a joining worker takes only the
cameras that must move, a dead worker's cameras move within the lease time, a worker that cannot
reach the database stops its cameras before its leases expire, every write is fenced by the
lease's token (also while a takeover races a write in flight, on PostgreSQL), and an event
stored twice under one key is one event."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from models import Database, FeedEntry
from models.events import create_event
from models.leases import LeaseLost, check, fair_share, holders
from models.schema import Event
from urbanwatch.runtime.leasing import LeaseKeeper

from .helpers import add_camera, new_event

CAMERAS = [f"cam{i:02d}" for i in range(12)]


@pytest.fixture
def cameras(db: Database) -> Database:
    for cid in CAMERAS:
        add_camera(db, cid)
    return db


def _keeper(db: Database, name: str, capacity: float = 1.0, lease_s: float = 3.0, **kw) -> LeaseKeeper:
    return LeaseKeeper(db, name, CAMERAS, capacity, lease_s=lease_s, step_s=0.0, safety_s=lease_s / 3, **kw)


def _settle(keepers: list[LeaseKeeper], rounds: int = 4) -> None:
    for _ in range(rounds):
        for k in keepers:
            k.step()


def _owner_map(db: Database) -> dict[str, str | None]:
    with db.session() as s:
        return {c: w for c, (w, _, _) in holders(s).items()}


def test_fair_share_follows_capacity():
    assert fair_share(12, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 4, "c": 4}
    assert fair_share(12, {"a": 2, "b": 1, "c": 1}) == {"a": 6, "b": 3, "c": 3}
    assert sum(fair_share(500, {f"w{i}": 1 + i for i in range(5)}).values()) == 500
    assert fair_share(2, {"b": 1, "a": 1, "c": 1}) == {"a": 1, "b": 1, "c": 0}  # ties: the same split everywhere
    assert fair_share(3, {}) == {}


def test_workers_share_by_capacity_and_a_joining_worker_moves_only_its_share(cameras):
    db = cameras
    a, b, c = _keeper(db, "a", 2.0), _keeper(db, "b"), _keeper(db, "c")
    _settle([a, b, c])
    assert (len(a.tokens), len(b.tokens), len(c.tokens)) == (6, 3, 3)
    before = _owner_map(db)
    assert sorted(before) == CAMERAS and all(before.values())
    assert not set(a.tokens) & set(b.tokens) and not set(b.tokens) & set(c.tokens)
    d = _keeper(db, "d", 2.0)  # a machine joins: shares 4/2/2/4
    _settle([a, b, c, d])
    after = _owner_map(db)
    moved = [cid for cid in CAMERAS if before[cid] != after[cid]]
    assert (len(a.tokens), len(b.tokens), len(c.tokens), len(d.tokens)) == (4, 2, 2, 4)
    assert len(moved) == 4 and all(after[cid] == "d" for cid in moved)


def test_a_dead_workers_cameras_move_within_the_lease_time(cameras):
    db = cameras
    a, b, c = _keeper(db, "a"), _keeper(db, "b"), _keeper(db, "c")
    _settle([a, b, c])
    dead = set(c.tokens)
    killed = time.monotonic()  # c stops renewing, as a SIGKILLed process does
    while any(_owner_map(db)[cid] == "c" for cid in dead):
        assert time.monotonic() - killed < a.lease_s + 2.0, "cameras still with the dead worker"
        _settle([a, b], 1)
        time.sleep(0.2)
    moved_after = time.monotonic() - killed
    assert moved_after >= a.lease_s - 0.5  # not before its leases could have expired
    assert len(a.tokens) + len(b.tokens) == 12 and (len(a.tokens), len(b.tokens)) == (6, 6)


def test_a_worker_cut_off_from_the_database_stops_its_cameras_before_they_expire(cameras, db_url):
    db = cameras
    a = _keeper(db, "a", lease_s=4.0)
    _settle([a], 2)
    assert len(a.tokens) == 12
    away = Database("postgresql+psycopg://urbanwatch@127.0.0.1:1/nowhere?connect_timeout=1")
    a.db = away  # the link to the database is cut
    cut = time.monotonic()
    lost: list[str] = []
    while not lost:
        lost = a.step().lost
        time.sleep(0.1)
    stopped_after = time.monotonic() - cut
    assert sorted(lost) == CAMERAS and a.tokens == {}
    assert stopped_after < a.lease_s  # before anyone else could take them
    with db.session() as s:  # the database still says a holds them, until they expire
        assert {w for w, _, _ in holders(s).values()} == {"a"}
    away.dispose()
    a.db = db  # the link returns: a rejoins with new tokens
    _settle([a], 2)
    assert len(a.tokens) == 12


def test_every_write_checks_the_lease_token(cameras):
    db = cameras
    a = _keeper(db, "a")
    _settle([a], 2)
    cid, token = next(iter(a.tokens.items()))
    with db.write() as s:
        a.check(s, cid, token)  # its own camera, its own token: fine
    b = _keeper(db, "b")
    with db.write() as s:  # b takes the camera (a's lease expired while a was paused)
        from models.schema import CameraLease

        s.get(CameraLease, cid).worker_id = "b"
        s.get(CameraLease, cid).token = token + 1
    with pytest.raises(LeaseLost, match="held by b"), db.write() as s:
        a.check(s, cid, token)  # a's write queued before it lost the camera is refused
    with pytest.raises(LeaseLost), db.write() as s:
        a.check(s, cid, None)  # a camera a never held
    with db.write() as s:
        check(s, cid, "b", token + 1)
    assert b.tokens == {}


def test_a_takeover_waits_for_a_write_in_flight(cameras, db_url):
    """PostgreSQL: the fencing check locks the lease row; a worker taking the camera over skips it
    while the write is in flight, and takes it at the next step, after the write committed."""
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL (SQLite serialises all writers anyway)")
    db = cameras
    a = _keeper(db, "a", lease_s=1.5)
    _settle([a], 2)
    cid, token = next(iter(a.tokens.items()))
    time.sleep(1.8)  # a's leases have expired: b may take them
    b = LeaseKeeper(db, "b", CAMERAS, 1.0, lease_s=1.0, step_s=0.0, safety_s=0.3)  # a is not alive to it
    in_write, release = threading.Event(), threading.Event()

    def slow_write():
        with db.write() as s:
            a.check(s, cid, token)
            in_write.set()
            release.wait(10)

    t = threading.Thread(target=slow_write)
    t.start()
    assert in_write.wait(10)
    b.step()
    assert cid not in b.tokens and len(b.tokens) >= 1  # the camera being written for was skipped
    release.set()
    t.join()
    b.step()
    assert cid in b.tokens


def test_an_event_stored_twice_under_one_key_is_one_event(cameras):
    db = cameras
    with db.write() as s:
        ne = new_event(camera_id="cam00")
        ne.event_key = "cam00/encroachment/via_he/1764205200000"
        first = create_event(s, ne).id
    with db.write() as s:  # the same write again (its commit was lost to the worker)
        again = create_event(s, ne).id
    with db.session() as s:
        assert again == first
        assert s.scalar(select(func.count()).select_from(Event)) == 1
        assert s.scalar(select(func.count()).select_from(FeedEntry).where(FeedEntry.type == "event.new")) == 1
