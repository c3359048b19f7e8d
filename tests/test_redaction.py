"""Evidence that leaves the system is redacted by default: the people in a real corridor clip, found
by the real detector, have their heads blurred in the exported snapshot and everything outside the
subject is blurred in the exported clip; the stored originals are untouched, and handing one out
is an admin's act with a reason, audited."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from models.events import create_event
from models.evidence import record_file, sha256_file
from models.media import MediaStore
from urbanwatch.runtime.evidence import record_snapshots
from vision.detector import YoloDetector
from vision.redaction import HEAD

from .helpers import add_camera, add_user, bearer, new_event
from .test_evidence import _settings

SHARP_KEPT = 0.25  # a blurred head keeps less than this share of its detail (Laplacian variance)


def overlap_of(a, b) -> float:
    """Share of box a inside box b."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / max(1e-6, (a[2] - a[0]) * (a[3] - a[1]))


def sharpness(image: np.ndarray, box) -> float:
    x1, y1, x2, y2 = (int(v) for v in box)
    part = cv2.cvtColor(image[max(0, y1):y2, max(0, x1):x2], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(part, cv2.CV_64F).var()) if part.size else 0.0


@pytest.fixture(scope="module")
def scene(shared, pt_model, tmp_path_factory):
    """A frame of people in a corridor, the people the detector finds in it, and a 3 s clip."""
    clip = shared / "data/clips/dumping/backpack_corridor.mp4"
    cap = cv2.VideoCapture(str(clip))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 120)
    ok, frame = cap.read()
    cap.release()
    assert ok
    det = YoloDetector(str(pt_model), 640, 0.4, classes=["person"])
    people = [tuple(float(v) for v in b) for b in det.detect([frame])[0].xyxy]
    assert len(people) >= 2, "the corridor clip shows people"
    short = tmp_path_factory.mktemp("clip") / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-ss", "2", "-t", "3", "-i", str(clip), "-an",
                    "-c:v", "libx264", "-preset", "veryfast", str(short)], check=True)
    return frame, people, det, short


def make(db, media: MediaStore, frame, people, short: Path | None) -> int:
    h, w = frame.shape[:2]
    ne = new_event(type="dumping")
    ne.frame_width, ne.frame_height = w, h
    ne.bbox = [w * 0.45, h * 0.85, w * 0.55, h * 0.98]  # a bag on the floor: the subject
    stem = media.new_stem("cam1", ne.raised_at)
    ok, jpg = cv2.imencode(".jpg", frame)
    ne.snapshot = media.write(f"{stem}-clean.jpg", jpg.tobytes())
    ne.snapshot_annotated = media.write(f"{stem}-annotated.jpg", jpg.tobytes())
    seen = [{"category": "person", "class_name": "person", "box": list(b)} for b in people]
    ne.details = {**ne.details, "seen": seen}
    if short is not None:
        ne.clip = media.write(f"{stem}-clip.mp4", short.read_bytes())
    with db.write() as s:
        e = create_event(s, ne)
        record_snapshots(s, media, e)
        if short is not None:
            e.clip_state = "complete"
            record_file(s, media, e.id, "clip", e.clip)
        return e.id


def test_exported_snapshot_blurs_the_heads_the_detector_finds(db, db_url, tmp_path, scene):
    frame, people, det, _ = scene
    media = MediaStore(tmp_path / "media")
    add_camera(db)
    token = add_user(db, "sup", "supervisor")
    eid = make(db, media, frame, people, None)
    app = create_app(_settings(db_url, media.root))
    with TestClient(app, headers=bearer(token)) as c:
        r = c.get(f"/api/events/{eid}/evidence.zip")
        assert r.status_code == 200 and r.headers["x-evidence-mode"] == "redacted"
        z = zipfile.ZipFile(io.BytesIO(r.content))
        name = next(n for n in z.namelist() if n.endswith("-clean.jpg"))
        redacted = cv2.imdecode(np.frombuffer(z.read(name), np.uint8), cv2.IMREAD_COLOR)
        report = json.loads(z.read("verification.json"))
        assert report["mode"] == "redacted" and all(f["redacted"] for f in report["files"] if f["kind"] == "snapshot")
    # every person's head is blurred past recognition
    for x1, y1, x2, y2 in people:
        head = (x1, y1, x2, y1 + HEAD * (y2 - y1))
        assert sharpness(redacted, head) <= SHARP_KEPT * max(sharpness(frame, head), 1.0), (x1, y1, x2, y2)
    # the detector, run again on what was handed out, finds no one who was not blurred: each person
    # it still finds (by the body) is one of those whose head went
    for box in det.detect([redacted])[0].xyxy:
        assert any(overlap_of(box, p) >= 0.7 for p in people), box
    # the original is untouched: byte for byte what was recorded
    from models.evidence import verify

    with db.session() as s:
        assert all(ch.status == "intact" for ch in verify(s, media, eid))
    app.state.db.dispose()


def test_exported_clip_keeps_only_the_subject_sharp(db, db_url, tmp_path, scene):
    frame, people, _, short = scene
    media = MediaStore(tmp_path / "media")
    add_camera(db)
    token = add_user(db, "sup", "supervisor")
    eid = make(db, media, frame, people, short)
    stored = {p.name: sha256_file(p) for p in media.root.rglob("*.mp4")}
    app = create_app(_settings(db_url, media.root))
    with TestClient(app, headers=bearer(token)) as c:
        z = zipfile.ZipFile(io.BytesIO(c.get(f"/api/events/{eid}/evidence.zip").content))
        clip_name = next(n for n in z.namelist() if n.endswith(".mp4"))
        out = tmp_path / "redacted.mp4"
        out.write_bytes(z.read(clip_name))
    cap_a, cap_b = cv2.VideoCapture(str(short)), cv2.VideoCapture(str(out))
    ok_a, a = cap_a.read()
    ok_b, b = cap_b.read()
    cap_a.release()
    cap_b.release()
    assert ok_a and ok_b and a.shape == b.shape
    h, w = a.shape[:2]
    away = (0, 0, w, 0.5 * h)  # the upper half, far from the bag on the floor: bystanders' place, blurred
    assert sharpness(b, away) <= SHARP_KEPT * sharpness(a, away)
    bag = (0.47 * w, 0.87 * h, 0.53 * w, 0.96 * h)  # the subject: still sharp
    assert sharpness(b, bag) >= 0.5 * sharpness(a, bag)
    assert {p.name: sha256_file(p) for p in media.root.rglob("*.mp4")} == stored  # the stored clip untouched
    app.state.db.dispose()


def test_originals_are_for_admins_with_a_reason_and_audited(db, db_url, tmp_path, scene):
    frame, people, _, _ = scene
    media = MediaStore(tmp_path / "media")
    add_camera(db)
    sup = add_user(db, "sup", "supervisor")
    admin = add_user(db, "chief", "admin", city_wide=True)
    eid = make(db, media, frame, people, None)
    app = create_app(_settings(db_url, media.root))
    with TestClient(app) as c:
        url = f"/api/events/{eid}/evidence.zip"
        asked = {"mode": "original", "reason": "court order 12"}
        assert c.get(url, params=asked, headers=bearer(sup)).status_code == 403
        assert c.get(url, params={"mode": "original"}, headers=bearer(admin)).status_code == 422
        r = c.get(url, params={"mode": "original", "reason": "Toà án yêu cầu bản gốc"}, headers=bearer(admin))
        assert r.status_code == 200 and r.headers["x-evidence-mode"] == "original"
        z = zipfile.ZipFile(io.BytesIO(r.content))
        name = next(n for n in z.namelist() if n.endswith("-clean.jpg"))
        with db.session() as s:
            from models.events import get_event

            original = media.path(get_event(s, eid).snapshot).read_bytes()
        assert z.read(name) == original
        log = c.get("/api/audit", params={"target_type": "event"}, headers=bearer(admin)).json()
        entry = next(a for a in log if a["action"] == "event.export_original")
        assert entry["note"] == "Toà án yêu cầu bản gốc" and entry["username"] == "chief"
        pdf = c.get(f"/api/events/{eid}/report.pdf", params={"mode": "original"}, headers=bearer(sup))
        assert pdf.status_code == 403  # the evidence sheet too
    app.state.db.dispose()
