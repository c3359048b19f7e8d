"""The data model on SQLite and PostgreSQL alike (every test runs on both)."""

import threading
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from models import Database, feed
from models.cameras import get_camera, mask_credentials, record_status_change, update_health
from models.events import EventFilter, end_event, get_event, list_events
from models.schema import Base, Camera, Event, FeedEntry
from models.serialize import event_to_dict

from .helpers import T0, add_camera, add_event


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_event_and_its_feed_entry_are_one_write(db):
    zone_id = add_camera(db)
    eid = add_event(db, zone_id=zone_id)
    with db.session() as s:
        e = get_event(s, eid)
        entries = feed.after(s, 0)
    assert e.camera.name == "Nguyễn Huệ 1" and e.ward == "Bến Thành"
    assert e.raised_at == T0 and e.raised_at.tzinfo is not None
    assert [x.type for x in entries] == ["event.new"]
    assert entries[0].id == eid  # an event's id is the id of the message that announced it
    msg = entries[0].payload
    assert msg["event_id"] == eid and msg["snapshot_url"] == "/media/events/x/0-clean.jpg"
    assert msg["event"]["raised_at"] == "2026-11-27T01:00:00Z"


def test_failed_write_leaves_nothing(db):
    add_camera(db)
    with pytest.raises(ValueError), db.write() as s:
        feed.append(s, "event.new", {"x": 1})
        raise ValueError("boom")
    with db.session() as s:
        assert feed.last_id(s) == 0


def test_end_event_updates_and_announces(db):
    add_camera(db)
    eid = add_event(db)
    with db.write() as s:
        end_event(s, eid, T0 + timedelta(minutes=5), "left")
    with db.write() as s:  # ending twice changes nothing
        end_event(s, eid, T0 + timedelta(minutes=9), "left")
    with db.session() as s:
        e = get_event(s, eid)
        types = [x.type for x in feed.after(s, 0)]
    assert e.state == "ended" and e.end_reason == "left" and e.ended_at == T0 + timedelta(minutes=5)
    assert types == ["event.new", "event.updated"]


def test_list_filters_and_pages(db):
    add_camera(db, "cam1", "Bến Thành")
    add_camera(db, "cam2", "Bàn Cờ", name="Võ Văn Tần")
    ids = [add_event(db, camera_id="cam1" if i % 2 else "cam2", minutes=i,
                     type="dumping" if i == 4 else "encroachment") for i in range(7)]
    with db.session() as s:
        rows, total = list_events(s, EventFilter(), limit=3)
        assert total == 7 and [r.id for r in rows] == ids[::-1][:3]
        rows, _ = list_events(s, EventFilter(), limit=3, offset=6)
        assert [r.id for r in rows] == [ids[0]]
        rows, total = list_events(s, EventFilter(camera_ids=["cam1"]))
        assert total == 3 and all(r.camera_id == "cam1" for r in rows)
        rows, total = list_events(s, EventFilter(types=["dumping"]))
        assert [r.id for r in rows] == [ids[4]]
        rows, total = list_events(s, EventFilter(wards=["Bàn Cờ"], since=T0 + timedelta(minutes=2),
                                                 until=T0 + timedelta(minutes=6)))
        assert [r.id for r in rows] == [ids[4], ids[2]]
        rows, total = list_events(s, EventFilter(statuses=["confirmed"]))
        assert total == 0
        assert event_to_dict(rows[0]) if rows else True


def test_camera_status_changes_are_stored_and_announced(db):
    add_camera(db)
    with db.write() as s:
        assert record_status_change(s, "cam1", "online", T0) is not None
        assert record_status_change(s, "cam1", "online", T0) is None  # no change, no message
        record_status_change(s, "cam1", "offline", T0 + timedelta(seconds=30), "TimeoutError")
        update_health(s, "cam1", {"fps_in": 25.0, "width": 640, "height": 360}, T0)
    with db.session() as s:
        cam = get_camera(s, "cam1")
        entries = feed.after(s, 0)
    assert cam.state == "offline" and cam.width == 640
    assert [(e.type, e.payload["state"]) for e in entries] == [("camera.status", "online"),
                                                               ("camera.status", "offline")]
    assert entries[1].payload["previous"] == "online" and entries[1].payload["detail"] == "TimeoutError"
    assert "pw" not in cam.source


def test_credentials_are_masked():
    assert mask_credentials("rtsp://admin:s3cr3t@10.0.0.1:554/x") == "rtsp://admin:***@10.0.0.1:554/x"
    assert mask_credentials("rtsp://10.0.0.1/x") == "rtsp://10.0.0.1/x"


def test_concurrent_writers_commit_in_feed_order(db_url):
    """Feed ids must become visible in order, or a reader could skip an entry forever."""
    setup = Database(db_url)
    add_camera(setup)
    setup.dispose()
    seen_gaps = []
    stop = threading.Event()

    def writer():
        d = Database(db_url)
        for _ in range(25):
            with d.write() as s:
                feed.append(s, "camera.status", {"n": 1}, camera_id="cam1")
        d.dispose()

    def reader():
        d = Database(db_url)
        last = 0
        while not stop.is_set():
            with d.session() as s:
                for e in feed.after(s, last):
                    if e.id != last + 1:
                        seen_gaps.append((last, e.id))
                    last = e.id
        d.dispose()

    r = threading.Thread(target=reader)
    r.start()
    ws = [threading.Thread(target=writer) for _ in range(4)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    stop.set()
    r.join()
    d = Database(db_url)
    with d.session() as s:
        ids = list(s.scalars(select(FeedEntry.id).order_by(FeedEntry.id)))
    d.dispose()
    assert ids == list(range(1, 101))
    assert seen_gaps == []


def test_models_are_plain_tables():
    assert {t.name for t in Base.metadata.sorted_tables} == {
        "cameras", "zones", "events", "feed", "camera_status_changes", "users", "sessions", "api_tokens",
        "login_failures", "audit_log", "evidence_files", "areas", "failed_writes", "sink_positions", "sink_failures",
        "camera_problems", "suppressions", "detector_models", "shadow_alerts", "worker_nodes", "camera_leases"}
    assert Camera.__tablename__ == "cameras" and Event.__tablename__ == "events"
