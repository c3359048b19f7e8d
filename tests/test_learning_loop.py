"""The learning loop on real parts: a class head warm-started from COCO, `urbanwatch train` on real
pictures into the registry with its measurements, promote and roll back from the CLI, a worker
that follows the live model without a restart (and refuses a file that will not load), shadow
mode storing a candidate's would-be alerts and comparing them with the live events, and evidence
that names the model version that raised it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from models import Database, registry
from models.events import create_event
from models.schema import AuditEntry, DetectorModel, ShadowAlert
from models.types import from_epoch
from urbanwatch.config import parse_config
from urbanwatch.dataset import CLASSES

from .conftest import ROOT, shared_path
from .helpers import add_camera, new_event

CURB = "data/clips/street/vn_cars_parked_at_curb.mp4"
CURB_CARS = [[1142, 190, 1322, 250], [1280, 216, 1378, 284]]  # its ground truth's parked cars
CURB_GROUND_TRUTH = [*CURB_CARS, [1108, 160, 1274, 220], [1106, 150, 1236, 200]]  # all its events
CURB_ZONE = [[1040, 188], [1405, 178], [1440, 178], [1440, 405], [1300, 308], [1152, 292], [1080, 248], [1040, 228]]


def _frames(every: int = 15, limit: int = 30) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(shared_path(CURB)))
    out, i = [], 0
    while len(out) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        if i % every == 0:
            out.append(frame)
        i += 1
    cap.release()
    return out


def _iou(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return iw * ih / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih)


def _settings(tmp_path: Path, model: Path, **extra):
    data = {"storage": {"data_dir": str(tmp_path / "data")}, "detector": {"model": str(model), "imgsz": 640},
            **extra}
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data))
    settings = parse_config(data, tmp_path, {})
    db = Database(settings.storage.resolved_database_url)
    db.upgrade()
    return cfg, settings, db


def test_warm_started_head_sees_what_coco_saw(tmp_path, pt_model):
    """The office's classes start from the COCO classes they stand in for: before any training the
    candidate finds the curb's parked cars where the COCO model does, as `car`."""
    from urbanwatch.learning.train import warm_started
    from vision.detector import YoloDetector

    start = warm_started(pt_model, CLASSES, tmp_path / "start.pt")
    frame = _frames(limit=1)[0]
    coco = YoloDetector(str(pt_model), 640, 0.25, classes=["car"]).detect([frame])[0]
    office = YoloDetector(str(start), 640, 0.25, classes=["car"]).detect([frame])[0]
    assert list(office.class_name) and set(office.class_name) == {"car"}
    assert len(office) == len(coco)
    for box in coco.xyxy:
        assert max(_iou(box, b) for b in office.xyxy) > 0.95


@pytest.fixture
def dataset(tmp_path) -> Path:
    """A small dataset in the export's layout: curb frames with their two parked cars labelled."""
    root = tmp_path / "ds"
    names = "\n".join(f"  {i}: {c}" for i, c in enumerate(CLASSES))
    (root).mkdir()
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    (root / "README.md").write_text("# urbanwatch dataset\n\ncurb frames, two cars each\n")
    for k, frame in enumerate(_frames(every=30, limit=10)):
        split = "val" if k >= 8 else "train"
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        h, w = frame.shape[:2]
        cv2.imwrite(str(root / "images" / split / f"curb-{k}.jpg"), frame)
        lines = [f"0 {(b[0] + b[2]) / 2 / w:.6f} {(b[1] + b[3]) / 2 / h:.6f} {(b[2] - b[0]) / w:.6f} "
                 f"{(b[3] - b[1]) / h:.6f}" for b in CURB_CARS]
        (root / "labels" / split / f"curb-{k}.txt").write_text("\n".join(lines) + "\n")
    return root


def _cli(*args, cfg: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "urbanwatch", *args, "-c", str(cfg)], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)


def test_train_registers_a_measured_candidate_then_promote_and_rollback(tmp_path, pt_model, dataset):
    cfg, settings, db = _settings(tmp_path, pt_model)
    run = _cli("train", str(dataset), "--epochs", "1", "--imgsz", "320", "--batch", "4", "--run",
               str(tmp_path / "runs" / "t1"), cfg=cfg)
    assert run.returncode == 0, run.stderr + run.stdout
    assert "registered v1 as a candidate" in run.stdout
    with db.session() as s:
        m = registry.get(s, "v1")
        assert m.state == "candidate" and m.classes == CLASSES
        assert (settings.storage.resolved_models_dir / m.path).is_file() and m.path.startswith(m.sha256[:12])
        reviews = m.metrics["reviews"]
        assert reviews["candidate"]["objects"] == reviews["running"]["objects"] == 4  # 2 val pictures, 2 cars
        assert reviews["running"]["found"] >= 3  # COCO finds the parked cars (the far one is small at 640)
        assert 0 <= reviews["candidate"]["found"] <= 4
        assert m.trained_from["epochs"] == 1 and m.trained_from["base"] == pt_model.name
        assert (settings.storage.resolved_models_dir / m.trained_from["weights"]).is_file()
    # a second run from the interrupted one's weights
    resumed = _cli("train", str(dataset), "--resume", "--epochs", "1", "--run", str(tmp_path / "runs" / "nothing"),
                   cfg=cfg)
    assert resumed.returncode == 1 and "nothing to resume" in resumed.stderr

    promoted = _cli("models", "promote", "v1", "--note", "better on the curb", cfg=cfg)
    assert promoted.returncode == 0, promoted.stderr
    listed = _cli("models", "list", cfg=cfg)
    assert "v1" in listed.stdout and "live" in listed.stdout
    again = _cli("models", "promote", "v1", cfg=cfg)
    assert again.returncode == 1 and "already the live model" in again.stderr
    back = _cli("models", "rollback", "--note", "missed a stall", cfg=cfg)
    assert back.returncode == 0 and "configuration's" in back.stdout
    with db.session() as s:
        assert registry.live(s) is None
        actions = [a.action for a in s.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions[-3:] == ["model.register", "model.promote", "model.rollback"]
    db.dispose()


def _wait_loaded(worker, timeout: float = 120.0) -> None:
    """The worker's health step, until its background load is done and swapped in."""
    worker._follow_models()
    deadline = time.monotonic() + timeout
    while worker._loading is not None and time.monotonic() < deadline:
        time.sleep(0.2)
        worker._follow_models()
    assert worker._loading is None


def test_worker_follows_the_live_model_without_a_restart(tmp_path, pt_model, onnx_model):
    from urbanwatch.learning.candidate import add_model
    from urbanwatch.runtime.worker import Worker

    cfg, settings, db = _settings(tmp_path, pt_model)
    v1 = add_model(db, settings, onnx_model, "int8")
    worker = Worker(settings, [], name="worker-t")
    try:
        assert worker.model.version is None and worker.detector.model_path == str(pt_model)
        with db.write() as s:
            registry.promote(s, s.get(DetectorModel, v1.id), None)
        _wait_loaded(worker)
        assert worker.model.version == "v1" and worker.detector.model_path.endswith(onnx_model.name)
        assert worker.recorder.provenance.model_version == "v1"
        assert worker.recorder.provenance.detector()["model_sha256"] == v1.sha256
        # a promoted file missing on this node: refused, the running model stays
        broken = tmp_path / "broken.pt"
        broken.write_bytes(b"not a model")
        with db.write() as s:
            v2 = registry.register(s, name="broken", path=str(broken), sha256="f" * 64, classes=["car"])
            registry.promote(s, v2, None)
        _wait_loaded(worker)
        assert worker.model.version == "v1"
        assert (str(broken), "f" * 64) in worker._refused
        with db.write() as s:
            registry.rollback(s, None, "broken file")  # back to v1 (the model v2 replaced)
            registry.rollback(s, None, "back to the configuration")
        _wait_loaded(worker)
        assert worker.model.version is None and worker.detector.model_path == str(pt_model)
    finally:
        worker.pool.shutdown()
        worker._loader.shutdown()
        worker.db.dispose()
        db.dispose()


def test_shadow_model_stores_would_be_alerts_and_compares_them(tmp_path, pt_model, onnx_model):
    """A candidate in shadow on half the frames of the curb clip raises the parked cars (never as
    events); the comparison counts a live event at the same place as agreed, the rest as extra."""
    from urbanwatch.learning.candidate import add_model
    from urbanwatch.runtime.worker import Worker

    cfg, settings, db = _settings(tmp_path, pt_model)
    add_camera(db, "cam1")
    cam = settings.model_copy(update={"cameras": []})
    v1 = add_model(db, settings, onnx_model, "int8")
    with db.write() as s:
        registry.start_shadow(s, s.get(DetectorModel, v1.id), 0.5, None)
    worker = Worker(cam, [], name="worker-s")
    try:
        _wait_loaded(worker)
        assert worker.shadow is not None and worker.shadow.every == 2
        from urbanwatch.config import CameraConfig

        camera = CameraConfig.model_validate({"id": "cam1", "name": "curb", "ward": "Bến Thành",
                                              "url": "rtsp://127.0.0.1/x", "detect": {"fps": 2}})
        zones = [{"name": "via_he", "kind": "sidewalk", "polygon": CURB_ZONE,
                  "params": {"objects": ["vehicle"], "dwell_s": 3}}]
        raised = []
        for k, frame in enumerate(_frames(every=15, limit=28)):  # 2 fps of video for 14 s
            raised += worker.shadow.observe(camera, zones, frame, 1000.0 + k * 0.5, (1.0, 1.0))
        ups = [e for e in raised if e.kind == "raised"]
        downs = [e for e in raised if e.kind == "ended"]  # the clip is spliced: the view jumps, cars go
        assert ups
        with db.session() as s:
            alerts = list(s.query(ShadowAlert).order_by(ShadowAlert.id))
            assert len(alerts) == len(ups) and all(a.model_id == v1.id for a in alerts)
            assert sum(a.ended_at is not None for a in alerts) == len(downs)
            first = alerts[0]
            assert max(_iou(first.bbox, c) for c in CURB_GROUND_TRUTH) > 0.3
        with db.write() as s:  # the live model raised the same car, at about the same time
            ne = new_event(camera_id="cam1")
            ne.zone_name, ne.bbox = "via_he", list(first.bbox)
            ne.raised_at = first.raised_at + timedelta(seconds=2)
            ne.started_at = ne.raised_at - timedelta(seconds=3)
            create_event(s, ne)
            m = s.get(DetectorModel, v1.id)
            m.shadow_since = from_epoch(900.0)
            result = registry.compare_shadow(s, m)
        assert result["agreed"] == 1 and result["extra"] == len(alerts) - 1 and result["missed"] == 0
        with db.write() as s:
            registry.stop_shadow(s, s.get(DetectorModel, v1.id), None)
        _wait_loaded(worker)
        assert worker.shadow is None
        with db.session() as s:
            assert s.get(DetectorModel, v1.id).metrics["shadow"]["agreed"] == 1
    finally:
        worker.pool.shutdown()
        worker._loader.shutdown()
        worker.db.dispose()
        db.dispose()


def test_evidence_names_the_model_that_raised_the_event(tmp_path, db):
    """An event keeps the model that raised it: a package rewritten after a promotion (a clip that
    finished later) still names the earlier model."""
    from models.media import MediaStore
    from urbanwatch.runtime.evidence import Provenance, metadata

    add_camera(db)
    then = Provenance("/m/a.onnx", "a" * 64, 640, 0.25, "Asia/Ho_Chi_Minh", 5, 5, model_version="v2")
    now = Provenance("/m/b.onnx", "b" * 64, 640, 0.25, "Asia/Ho_Chi_Minh", 5, 5, model_version="v3")
    with db.write() as s:
        ne = new_event()
        ne.details = {**ne.details, "detector": then.detector()}
        e = create_event(s, ne)
        meta = metadata(s, e, now, MediaStore(tmp_path / "media"))
    assert meta["detector"]["model_version"] == "v2" and meta["detector"]["model_sha256"] == "a" * 64
    assert json.dumps(meta)  # serialisable as written


def test_pseudo_labels_name_the_other_cars_and_leave_backgrounds_empty(tmp_path, pt_model, dataset):
    """Reviewers label the incident's object only; the running model's confident street boxes label
    the other cars, so they are not taught as background. Validation and dismissed pictures stay as
    the reviewers left them."""
    from urbanwatch.learning.train import with_pseudo_labels

    empty = next((dataset / "images" / "train").glob("*.jpg"))
    (dataset / "labels" / "train" / f"{empty.stem}.txt").write_text("")  # a picture dismissed as false
    data, added = with_pseudo_labels(dataset, pt_model, tmp_path / "work")
    assert data.is_file() and added > 0
    out = tmp_path / "work" / "labels"
    assert (out / "train" / f"{empty.stem}.txt").read_text() == ""
    for label in (dataset / "labels" / "val").glob("*.txt"):
        assert (out / "val" / label.name).read_text() == label.read_text()
    frame = _frames(limit=1)[0]
    h, w = frame.shape[:2]
    for label in (out / "train").glob("*.txt"):
        if label.stem == empty.stem:
            continue
        reviewed = (dataset / "labels" / "train" / label.name).read_text().splitlines()
        lines = label.read_text().splitlines()
        assert lines[:len(reviewed)] == reviewed  # the reviewers' boxes first, unchanged
        for line in lines[len(reviewed):]:
            c, cx, cy, bw, bh = line.split()
            cx, cy, bw, bh = float(cx), float(cy), float(bw), float(bh)
            box = [(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h]
            assert all(_iou(box, car) <= 0.3 for car in CURB_CARS)  # never a second box on a reviewed car
            assert CLASSES[int(c)] in ("car", "motorcycle", "bicycle", "bus", "truck", "person")
