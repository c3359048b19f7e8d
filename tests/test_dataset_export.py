"""`urbanwatch dataset export`: reviewed incidents with real pictures and a real clip become a
YOLO dataset; labels follow the reviewer, false detections are backgrounds, unreviewed incidents
are left out, and train/val are split by camera and day (no incident in both)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import cv2
import pytest
import yaml

from models import Database
from models.events import create_event, get_event
from models.media import MediaStore
from urbanwatch.config import parse_config
from urbanwatch.dataset import CLASSES, split_of

from .conftest import ROOT
from .helpers import add_camera, new_event


@pytest.fixture
def office(tmp_path, shared):
    """A data folder with five incidents on two cameras over three days, real pictures, one clip."""
    clip = shared / "data/clips/street/vn_cars_parked_at_curb.mp4"
    cap = cv2.VideoCapture(str(clip))
    ok, frame = cap.read()
    cap.release()
    assert ok
    short = tmp_path / "short.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-t", "4", "-i", str(clip), "-an", "-c:v",
                    "libx264", "-preset", "veryfast", str(short)], check=True)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump({"storage": {"data_dir": str(tmp_path / "data")}}))
    settings = parse_config(yaml.safe_load(cfg.read_text()), tmp_path, {})
    db = Database(settings.storage.resolved_database_url)
    db.upgrade()
    media = MediaStore(settings.storage.resolved_media_dir)
    add_camera(db, "cam1", "Bến Thành")
    add_camera(db, "cam2", "Bến Thành")
    h, w = frame.shape[:2]
    ok, jpg = cv2.imencode(".jpg", frame)
    base = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 10:00 local
    specs = [  # camera, day offset, status, reason, review label
        ("cam1", 0, "confirmed", None, {"bbox": [100, 200, 300, 400], "class_name": "stool_chair"}),
        ("cam1", 1, "dismissed", "false_detection", None),
        ("cam2", 1, "dismissed", "permitted", None),
        ("cam2", 2, "confirmed", None, None),
        ("cam2", 2, "unreviewed", None, None),
    ]
    ids = []
    with db.write() as s:
        for n, (cam, day, status, reason, label) in enumerate(specs):
            ne = new_event(camera_id=cam)
            ne.raised_at = base + timedelta(days=day, minutes=n)
            ne.started_at = ne.raised_at - timedelta(seconds=3)
            ne.frame_width, ne.frame_height, ne.bbox = w, h, [w * 0.5, h * 0.4, w * 0.7, h * 0.6]
            stem = media.new_stem(cam, ne.raised_at)
            ne.snapshot = media.write(f"{stem}-clean.jpg", jpg.tobytes())
            ne.snapshot_annotated = media.write(f"{stem}-annotated.jpg", jpg.tobytes())
            e = create_event(s, ne)
            e.status, e.review_reason, e.review_label = status, reason, label
            if n == 3:  # a clip that runs over the object's rest
                e.clip = media.write(f"{stem}-clip.mp4", short.read_bytes())
                e.clip_started_at = e.started_at - timedelta(seconds=1)
                e.clip_ended_at, e.clip_state = e.clip_started_at + timedelta(seconds=4), "complete"
                e.ended_at = e.clip_ended_at
            ids.append(e.id)
    yield cfg, db, ids, (w, h)
    db.dispose()


def test_export_writes_a_yolo_dataset_split_by_camera_and_day(office, tmp_path):
    cfg, db, ids, (w, h) = office
    out = tmp_path / "ds"
    run = subprocess.run([sys.executable, "-m", "urbanwatch", "dataset", "export", str(out), "--frames", "2",
                          "-c", str(cfg)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"][CLASSES.index("stool_chair")] == "stool_chair" and data["train"] == "images/train"
    labels = {p.stem: (p.parent.name, p.read_text()) for p in (out / "labels").rglob("*.txt")}
    images = {p.stem for p in (out / "images").rglob("*.jpg")}
    assert images == set(labels)
    by_event: dict[int, set[str]] = {}
    for stem, (split, _) in labels.items():
        by_event.setdefault(int(stem.split("-")[1]), set()).add(split)
    confirmed_relabelled, false_detection, permitted, with_clip, unreviewed = ids
    assert unreviewed not in by_event  # only reviewed incidents
    assert all(len(splits) == 1 for splits in by_event.values())  # never in both splits
    with db.session() as s:
        for eid, splits in by_event.items():
            e = get_event(s, eid)
            assert splits == {split_of(e.camera_id, (e.raised_at + timedelta(hours=7)).date().isoformat())}
    # the reviewer's class and box, normalised
    split, text = labels[f"cam1-{confirmed_relabelled}-0"]
    cls, cx, cy, bw, bh = text.split()
    assert CLASSES[int(cls)] == "stool_chair"
    assert float(cx) == pytest.approx(200 / w, abs=1e-4) and float(bh) == pytest.approx(200 / h, abs=1e-4)
    assert labels[f"cam1-{false_detection}-0"][1] == ""  # a background picture
    assert CLASSES[int(labels[f"cam2-{permitted}-0"][1].split()[0])] == "car"  # real object: the detector's class
    assert sum(stem.startswith(f"cam2-{with_clip}-") for stem in labels) == 3  # the snapshot and two clip frames
    card = (out / "README.md").read_text()
    assert "2026-11-30 – 2026-12-02" in card and "| stool_chair |" in card and "| cam2 |" in card
    # a folder that holds something already is refused, not mixed
    again = subprocess.run([sys.executable, "-m", "urbanwatch", "dataset", "export", str(out), "-c", str(cfg)],
                           capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 1 and "not empty" in again.stderr


def test_export_can_blur_bystanders(office, tmp_path):
    cfg, db, ids, _ = office
    out = tmp_path / "blurred"
    run = subprocess.run([sys.executable, "-m", "urbanwatch", "dataset", "export", str(out), "--blur", "--frames",
                          "0", "-c", str(cfg)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "blurred: yes" in (out / "README.md").read_text()
    assert len(list((out / "images").rglob("*.jpg"))) == 4
