"""Evidence packages (hashes, tamper detection, the ZIP), retention and the low-disk guard, and
the daily digest, on both databases."""

import io
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from models import feed
from models.events import get_event
from models.media import MediaStore
from models.schema import AuditEntry, EvidenceFile
from models.types import utcnow
from urbanwatch.config import parse_config
from urbanwatch.runtime.evidence import Provenance, record_snapshots, write_package
from urbanwatch.runtime.retention import Purger

from .helpers import add_camera, add_user, bearer, new_event

PROV = Provenance("yolov8n.onnx", "ab" * 32, 640, 0.25, "Asia/Ho_Chi_Minh", 30, 30)


def _jpeg(seed: str) -> bytes:
    """A small real picture, different for every seed."""
    rng = np.random.default_rng(abs(hash(seed)) % (2**32))
    ok, buf = cv2.imencode(".jpg", rng.integers(0, 255, (72, 128, 3), dtype=np.uint8))
    return buf.tobytes()


def make_event(db, media: MediaStore, *, status="unreviewed", age_days=0.0, camera="cam1", zone_id=None) -> int:
    """An event with real snapshot files and its evidence package."""
    from models.events import create_event

    ne = new_event(camera_id=camera, zone_id=zone_id)
    ne.raised_at = utcnow() - timedelta(days=age_days)
    ne.started_at = ne.raised_at - timedelta(seconds=30)
    stem = media.new_stem(camera, ne.raised_at)
    ne.snapshot = media.write(f"{stem}-clean.jpg", _jpeg(stem + "clean"))
    ne.snapshot_annotated = media.write(f"{stem}-annotated.jpg", _jpeg(stem + "annotated"))
    with db.write() as s:
        e = create_event(s, ne)
        e.status = status
        record_snapshots(s, media, e)
        write_package(s, media, e, PROV)
        return e.id


@pytest.fixture
def media(tmp_path) -> MediaStore:
    return MediaStore(tmp_path / "media")


def test_package_records_every_file_and_detects_tampering(db, media):
    from models.evidence import verify

    add_camera(db)
    eid = make_event(db, media)
    with db.session() as s:
        checks = verify(s, media, eid)
        meta = json.loads(media.path(next(c.path for c in checks if c.kind == "metadata")).read_text())
    assert {c.kind for c in checks} == {"snapshot", "snapshot_annotated", "metadata"}
    assert all(c.status == "intact" for c in checks)
    assert meta["place"] == {"ward": "Bến Thành", "kind": "ward", "city": "Thành phố Hồ Chí Minh",
                             "address": "Phường Bến Thành, Thành phố Hồ Chí Minh"}
    assert meta["detector"]["model_sha256"] == "ab" * 32
    assert meta["times"]["alert_raised"]["local"].endswith("+07:00") and meta["software"]["name"] == "urbanwatch"
    assert {f["kind"] for f in meta["files"]} == {"snapshot", "snapshot_annotated"}
    annotated = media.path(next(c.path for c in checks if c.kind == "snapshot_annotated"))
    annotated.write_bytes(annotated.read_bytes()[:-1] + b"!")  # one byte changed
    media.path(next(c.path for c in checks if c.kind == "snapshot")).unlink()
    with db.session() as s:
        status = {c.kind: c.status for c in verify(s, media, eid)}
    assert status == {"snapshot": "missing", "snapshot_annotated": "modified", "metadata": "intact"}


def test_verify_command_and_evidence_zip(tmp_path):
    data = tmp_path / "data"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump({"storage": {"data_dir": str(data)}}))
    settings = parse_config(yaml.safe_load(cfg.read_text()), tmp_path, {})
    from models import Database

    db = Database(settings.storage.resolved_database_url)
    db.upgrade()
    add_camera(db)
    token = add_user(db, "sup", "supervisor")
    media = MediaStore(settings.storage.resolved_media_dir)
    eid = make_event(db, media)

    def verify_cli():
        return subprocess.run([sys.executable, "-m", "urbanwatch", "verify", str(eid), "-c", str(cfg)],
                              capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})

    ok = verify_cli()
    assert ok.returncode == 0 and "intact" in ok.stdout
    app = create_app(settings)
    with TestClient(app, headers=bearer(token)) as c:
        r = c.get(f"/api/events/{eid}/evidence.zip")
        assert r.status_code == 200 and r.headers["x-evidence-intact"] == "true"
        z = zipfile.ZipFile(io.BytesIO(r.content))
        names = set(z.namelist())
        assert {"SHA256SUMS", "verification.json"} <= names
        assert {n.rsplit("-", 1)[-1] for n in names if n.endswith((".jpg", ".json")) and "-" in n} == {
            "clean.jpg", "annotated.jpg", "metadata.json"}
        sums = dict(line.split("  ")[::-1] for line in z.read("SHA256SUMS").decode().splitlines())
        import hashlib

        for name, digest in sums.items():
            assert hashlib.sha256(z.read(name)).hexdigest() == digest
        with db.session() as s:
            e = get_event(s, eid)
            path = media.path(e.snapshot_annotated)
        path.write_bytes(b"\xff\xd8 a different picture")
        r = c.get(f"/api/events/{eid}/evidence.zip")
        assert r.headers["x-evidence-intact"] == "false"
        assert json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("verification.json"))["intact"] is False
        assert c.get("/api/audit").status_code == 403  # supervisors see exports in the event's timeline
        kinds = [i["kind"] for i in c.get(f"/api/events/{eid}/timeline").json()["timeline"]]
        assert kinds.count("event.export") == 2  # who took the evidence, each time
    bad = verify_cli()
    assert bad.returncode == 1 and "TAMPERED" in bad.stdout and "modified" in bad.stdout
    missing = subprocess.run([sys.executable, "-m", "urbanwatch", "verify", "99999", "-c", str(cfg)],
                             capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode == 2
    app.state.db.dispose()
    db.dispose()


def _settings(db_url, media_root, **retention):
    return parse_config({"storage": {"database_url": db_url, "media_dir": str(media_root)},
                         "retention": {"min_free_percent": 0, **retention}}, Path("."), {})


def test_retention_by_status(db, db_url, media):
    add_camera(db)
    ids = {
        "unreviewed_old": make_event(db, media, status="unreviewed", age_days=40),
        "unreviewed_new": make_event(db, media, status="unreviewed", age_days=5),
        "dismissed_old": make_event(db, media, status="dismissed", age_days=10),
        "confirmed_100d": make_event(db, media, status="confirmed", age_days=100),
        "confirmed_400d": make_event(db, media, status="confirmed", age_days=400),
    }
    purger = Purger(_settings(db_url, media.root), db)
    plan = purger.run(dry_run=True)
    expected = {ids["confirmed_400d"], ids["unreviewed_old"], ids["dismissed_old"]}
    assert {i.event_id for i in plan.items} == expected and all(i.files == 3 for i in plan.items)
    with db.session() as s:  # a dry run removes nothing
        assert all(media.path(get_event(s, i).snapshot).exists() for i in ids.values())
    done = purger.run()
    assert {i.event_id for i in done.items} == expected
    with db.session() as s:
        for name, eid in ids.items():
            e = get_event(s, eid)
            gone = eid in expected
            assert (e.media_purged_at is not None) == gone, name
            assert media.path(e.snapshot).exists() != gone, name
            assert s.query(EvidenceFile).filter_by(event_id=eid).count() == 3  # the record of what existed stays
        assert s.query(AuditEntry).filter_by(action="event.purge").count() == 3
    assert purger.run().items == []  # nothing twice


def test_low_disk_guard_takes_unreviewed_then_dismissed_never_confirmed(db, db_url, media):
    add_camera(db)
    order = [
        make_event(db, media, status="dismissed", age_days=3),
        make_event(db, media, status="unreviewed", age_days=2),
        make_event(db, media, status="confirmed", age_days=4),
        make_event(db, media, status="unreviewed", age_days=1),
    ]
    # a guard that no disk satisfies: everything that may go, goes, in order, and the console is told
    report = Purger(_settings(db_url, media.root, min_free_percent=90), db).run()
    assert [i.event_id for i in report.items] == [order[1], order[3], order[0]]
    assert {i.reason for i in report.items} == {"low_disk"} and report.low_disk
    with db.session() as s:
        assert get_event(s, order[2]).media_purged_at is None
        assert media.path(get_event(s, order[2]).snapshot).exists()
        warning = [e for e in feed.after(s, 0) if e.type == "system.warning"][-1]
    assert warning.payload["code"] == "low_disk" and warning.payload["still_low"] is True


def test_the_office_day_runs_from_day_start(db, db_url, media):
    """The night belongs to the shift that watched it: with the day starting at 06:00, an incident
    at 03:12 local time is in the previous day's digest, one at 06:00 in the new day's."""
    add_camera(db, "cam1", "Bến Thành")
    token = add_user(db, "sup1", "supervisor")
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    ids = [make_event(db, media), make_event(db, media)]
    with db.write() as s:
        for eid, hhmm in zip(ids, [(3, 12), (6, 0)], strict=True):
            e = get_event(s, eid)
            e.raised_at = datetime(2026, 12, 2, *hhmm, tzinfo=tz).astimezone(UTC)
            e.started_at = e.raised_at - timedelta(seconds=30)
    app = create_app(_settings(db_url, media.root))
    with TestClient(app, headers=bearer(token)) as c:
        night = c.get("/api/digest", params={"date": "2026-12-01"}).json()
        day = c.get("/api/digest", params={"date": "2026-12-02"}).json()
        assert night["day_start"] == "06:00"
        assert [w["events"] for w in night["wards"]] == [1] and [w["events"] for w in day["wards"]] == [1]
        assert c.get("/api/info").json()["day_start"] == "06:00"
    app.state.db.dispose()
    # a calendar-day office (day_start 00:00): both on the 2nd
    app = create_app(parse_config({"storage": {"database_url": db_url, "media_dir": str(media.root)},
                                   "retention": {"min_free_percent": 0}, "day_start": "00:00"}, Path("."), {}))
    with TestClient(app, headers=bearer(token)) as c:
        assert [w["events"] for w in c.get("/api/digest", params={"date": "2026-12-02"}).json()["wards"]] == [2]
    app.state.db.dispose()


def test_daily_digest_and_csv(db, db_url, media):
    add_camera(db, "cam1", "Bến Thành")
    add_camera(db, "cam3", "Bàn Cờ", name="Võ Văn Tần")
    token = add_user(db, "sup1", "supervisor")
    statuses = ["confirmed", "confirmed", "dismissed", "unreviewed"]
    ids = [make_event(db, media, status=st) for st in statuses]
    make_event(db, media, camera="cam3")
    # the first two at the same spot one after the other (a repeat); the others side by side
    with db.write() as s:
        first, second = get_event(s, ids[0]), get_event(s, ids[1])
        first.ended_at = first.raised_at + timedelta(seconds=1)
        second.started_at = first.ended_at + timedelta(seconds=1)
        second.raised_at = second.started_at + timedelta(seconds=1)
        # the office's day starts at 06:00 local time (day_start): the night belongs to the day before
        day = (first.raised_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")) - timedelta(hours=6)).date().isoformat()
    app = create_app(_settings(db_url, media.root))
    today = day
    with TestClient(app, headers=bearer(token)) as c:
        d = c.get("/api/digest", params={"date": today}).json()
        (q1,) = d["wards"]  # Bàn Cờ is not the supervisor's
        assert q1["ward"] == "Bến Thành" and q1["events"] == 4
        assert q1["address"] == "Phường Bến Thành, Thành phố Hồ Chí Minh"
        assert q1["confirmation_rate"] == pytest.approx(2 / 3)
        assert q1["by_camera"]["cam1"]["total"] == 4 and q1["by_zone"] == {"cam1/via_he": 4}
        (repeat,) = q1["repeat_locations"]
        assert repeat["count"] == 2 and repeat["event_ids"] == ids[:2] and repeat["zone"] == "via_he"
        csv_text = c.get("/api/digest.csv", params={"date": today}).text
        lines = csv_text.lstrip("\ufeff").splitlines()
        assert lines[0].startswith("date,ward,address,camera_id") and len(lines) == 2
        assert lines[1].endswith(",4,2,1,1")
        vi = c.get("/api/digest.csv", params={"date": today, "lang": "vi"}).text.lstrip("\ufeff").splitlines()
        assert vi[0].startswith("ngày,phường/xã,địa chỉ") and ",Lấn chiếm vỉa hè," in vi[1]
        # the city overview is for city-wide accounts only
        assert c.get("/api/digest/overview", params={"date": today}).status_code == 403
    admin = add_user(db, "chief", "admin", city_wide=True)
    with TestClient(app, headers=bearer(admin)) as c:
        o = c.get("/api/digest/overview", params={"date": today, "days": 7}).json()
        assert o["city"] == "Thành phố Hồ Chí Minh" and o["events"] == 5
        assert [(w["ward"], w["events"]) for w in o["wards"]] == [("Bàn Cờ", 1), ("Bến Thành", 4)]  # Vietnamese order
        (top,) = o["most_repeats"]
        assert top["ward"] == "Bến Thành" and top["repeat_locations"] == 1 and top["repeat_events"] == 2
        assert c.get("/api/digest", params={"date": today}).json()["wards"][0]["label"] == "Phường Bàn Cờ"
    app.state.db.dispose()
