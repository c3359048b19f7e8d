"""The learning loop end to end on this machine, each step timed and sized:

    .venv/bin/python -m bench.learning_loop [--epochs 5] [--frames 8] [--hold-out backpack_corridor]

1. replay: the shared clips run through the real pipeline (as `urbanwatch eval`); every alert is
   stored as an incident in a fresh database (its snapshot, and a clip cut from the video around it)
   and reviewed the way a supervisor would, from the ground truth: an alert that matches an event
   is confirmed with the annotated box (dumped objects as garbage_bag), any other is dismissed as a
   false detection. The held-out clip is not replayed: nothing of it is trained on.
2. export: `urbanwatch dataset export` of those reviews.
3. train: `urbanwatch train`'s fine-tuning from yolov8n_coco.pt on the CPU (the other cars and
   people in reviewed pictures labelled by the COCO model, unless --reviews-only).
4. measure: the candidate beside the running COCO model on the held-out reviews (the validation
   split) and on every shared ground-truth clip, stored in the registry.
5. promote: a worker running the COCO model picks the candidate up without a restart.
6. a class COCO lacks: garbage_bag on frames of the held-out clip (never trained on) while the
   dumped object lies there (IoU >= 0.3 with the annotated box), against the COCO model's nearest
   classes (backpack, handbag, suitcase); and garbage_bag boxes on frames of the negative clips.

Figures are whatever they are on this run; the step times are wall seconds on this machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from models import Database, registry
from models.areas import sync_areas
from models.cameras import upsert_camera
from models.events import NewEvent, create_event
from models.media import MediaStore
from models.schema import DetectorModel, Event
from urbanwatch.config import parse_config
from urbanwatch.dataset import DETECTOR_TO_LABEL, export_dataset
from urbanwatch.evaluation.ground_truth import GroundTruth, load_ground_truth
from urbanwatch.evaluation.runner import make_detector, run_clip
from urbanwatch.learning.candidate import add_model, measure
from urbanwatch.learning.train import train
from urbanwatch.runtime.model_choice import ModelChoice, load_detector

from .rtsp import SHARED

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 08:00 in Ho Chi Minh City
WARD = "Bến Thành"
COCO_BAGS = ("backpack", "handbag", "suitcase")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def _iou(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _cut(src: Path, dst: Path, start: float, end: float) -> bool:
    dst.parent.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-ss", f"{max(0.0, start):.2f}", "-i",
                        str(src), "-t", f"{end - max(0.0, start):.2f}", "-an", "-c:v", "libx264", "-preset",
                        "veryfast", str(dst)], capture_output=True)
    return r.returncode == 0 and dst.is_file()


def replay_and_review(gts: list[GroundTruth], settings, db: Database, media: MediaStore, fps: float) -> dict:
    """Every alert of the clips stored and reviewed; returns counts."""
    detector = make_detector(settings, gts, fps)
    counts = {"incidents": 0, "confirmed": 0, "dismissed": 0}
    with db.write() as s:
        sync_areas(s, settings.areas.units(), [])
    for day, gt in enumerate(gts):
        cam = gt.clip.split(".")[0][:60]
        with db.write() as s:
            upsert_camera(s, id=cam, name=cam, ward=WARD, source=str(gt.clip_path), enabled=True)
        raised: list = []
        result = run_clip(gt, settings, detector, fps, on_raised=lambda v, image, seen=raised: seen.append(
            (v, image.copy())))
        matched = {m["alert"]: m["event"] for m in result.score.matches}
        events = {e.id: e for e in gt.events}
        for i, (v, image) in enumerate(raised):
            at = T0 + timedelta(days=day % 3, hours=day)
            raised_at, started_at = at + timedelta(seconds=v.raised_at), at + timedelta(seconds=v.started_at)
            stem = media.new_stem(cam, raised_at)
            h, w = image.shape[:2]
            jpg = cv2.imencode(".jpg", image)[1].tobytes()
            clip_start = max(0.0, v.started_at - 2.0)
            clip_rel = f"{stem}-clip.mp4"
            has_clip = _cut(gt.clip_path, media.path(clip_rel), clip_start, v.raised_at + 5.0)
            with db.write() as s:
                e = create_event(s, NewEvent(
                    type=v.type, camera_id=cam, zone_id=None, zone_name=v.zone, category=v.category,
                    class_name=v.class_name, confidence=float(v.confidence), bbox=[float(c) for c in v.bbox],
                    frame_width=w, frame_height=h, track_id=None, started_at=started_at, raised_at=raised_at,
                    snapshot=media.write(f"{stem}-clean.jpg", jpg), snapshot_annotated=media.write(
                        f"{stem}-annotated.jpg", jpg), details={"params": v.params},
                    clip=clip_rel if has_clip else None, clip_state="complete" if has_clip else "none",
                    clip_started_at=at + timedelta(seconds=clip_start) if has_clip else None))
                e.clip_ended_at = raised_at + timedelta(seconds=5) if has_clip else None
                e.ended_at = e.clip_ended_at
                if i in matched:
                    truth = events[matched[i]]
                    cls = "garbage_bag" if v.type == "dumping" else DETECTOR_TO_LABEL.get(v.class_name, "car")
                    e.status, e.review_label = "confirmed", {"bbox": list(truth.bbox), "class_name": cls}
                    counts["confirmed"] += 1
                else:
                    e.status, e.review_reason = "dismissed", "false_detection"
                    counts["dismissed"] += 1
                counts["incidents"] += 1
    return counts


def _frames(gt: GroundTruth, first: int, last: int, every: int):
    cap = cv2.VideoCapture(str(gt.clip_path))
    cap.set(cv2.CAP_PROP_POS_FRAMES, first)
    i = first
    while i <= last:
        ok, frame = cap.read()
        if not ok:
            break
        if (i - first) % every == 0:
            yield i, frame
        i += 1
    cap.release()


def held_out_bags(settings, held: GroundTruth, negatives: list[GroundTruth], candidate: ModelChoice,
                  coco: ModelChoice) -> dict:
    """garbage_bag on the held-out clip's frames while the object lies there, and on negatives."""
    cand = load_detector(settings, candidate)
    base = load_detector(settings, coco)
    base_bags = type(base)(coco.path, settings.detector.imgsz, settings.detector.confidence,
                           classes=list(COCO_BAGS))
    out = {"frames": 0, "candidate_found": 0, "coco_found": 0, "candidate_other_bag_boxes": 0}
    every = max(1, round(held.fps))  # one frame a second
    for e in held.events:
        if e.type != "dumping":
            continue
        for _, frame in _frames(held, e.owner_left_frame or e.start_frame, e.end_frame, every):
            out["frames"] += 1
            d = cand.detect([frame])[0]
            bags = [b for b, n in zip(d.xyxy, d.class_name, strict=True) if n == "garbage_bag"]
            hit = [b for b in bags if _iou(b, e.bbox) >= 0.3]
            out["candidate_found"] += bool(hit)
            out["candidate_other_bag_boxes"] += len(bags) - len(hit)
            c = base_bags.detect([frame])[0]
            out["coco_found"] += any(_iou(b, e.bbox) >= 0.3 for b in c.xyxy)
    neg_frames = neg_boxes = 0
    for gt in negatives:
        for _, frame in _frames(gt, 0, gt.frames - 1, max(1, round(gt.fps * 2))):
            neg_frames += 1
            d = cand.detect([frame])[0]
            neg_boxes += int(np.sum(d.class_name == "garbage_bag")) if len(d) else 0
    out.update(negative_frames=neg_frames, candidate_bag_boxes_on_negatives=neg_boxes)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--frames", type=int, default=8, help="clip frames per incident in the export")
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--hold-out", default="backpack_corridor", help="dumping clip never trained on")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reviews-only", action="store_true", help="train without the running model's pseudo-labels")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    coco_pt = SHARED / "models/yolov8n_coco.pt"
    all_gts = [load_ground_truth(p) for p in sorted((SHARED / "data/clips").glob("*/*.gt.json"))]
    held = next(g for g in all_gts if g.clip.startswith(args.hold_out))
    trained_on = [g for g in all_gts if g is not held and not g.negative]
    negatives = [g for g in all_gts if g.negative]
    steps: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="urbanwatch-loop-") as tmp:
        root = Path(tmp)
        settings = parse_config({"storage": {"data_dir": str(root / "data")}, "detector": {"model": str(coco_pt)}},
                                root, {})
        db = Database(settings.storage.resolved_database_url)
        db.upgrade()
        media = MediaStore(settings.storage.resolved_media_dir)

        t = time.monotonic()
        counts = replay_and_review(trained_on, settings, db, media, args.fps)
        steps["replay + review"] = {"s": time.monotonic() - t, "bytes": _size(settings.storage.resolved_media_dir),
                                    **counts, "clips": len(trained_on)}

        t = time.monotonic()
        out = root / "dataset"
        card = export_dataset(db, media, out, settings.timezone, frames=args.frames)
        steps["export"] = {"s": time.monotonic() - t, "bytes": _size(out), "train_images": card.images["train"],
                           "val_images": card.images["val"],
                           "backgrounds": card.backgrounds["train"] + card.backgrounds["val"],
                           "boxes": dict((f"{sp}:{c}", n) for (sp, c), n in card.classes.items())}

        t = time.monotonic()
        result = train(out, coco_pt, root / "runs" / "loop", epochs=args.epochs, imgsz=args.imgsz, batch=8,
                       on_epoch=lambda e, n, m: print(f"  epoch {min(e, n)}/{n}", flush=True),
                       labeller=None if args.reviews_only else coco_pt)
        steps["train"] = {"s": time.monotonic() - t, "bytes": _size(result.weights), "epochs": result.epochs,
                          "pseudo_boxes": result.pseudo_boxes,
                          **{k.split("/")[-1]: v for k, v in result.metrics.items() if "mAP" in k}}

        t = time.monotonic()
        m = add_model(db, settings, result.weights, "loop")
        metrics = measure(db, settings, m, dataset=out, gts=all_gts, fps=args.fps, jobs=args.jobs)
        steps["measure"] = {"s": time.monotonic() - t,
                            "reviews_recall": [metrics["reviews"]["candidate"]["recall"],
                                               metrics["reviews"]["running"]["recall"]],
                            "clips_f1": [metrics["clips"]["candidate"]["f1"], metrics["clips"]["running"]["f1"]],
                            "negatives_alerts": [metrics["clips"]["candidate"]["alerts_on_negatives"],
                                                 metrics["clips"]["running"]["alerts_on_negatives"]]}

        from urbanwatch.runtime.worker import Worker

        worker = Worker(settings, [], name="worker-bench")
        with db.write() as s:
            registry.promote(s, s.get(DetectorModel, m.id), None, note="bench")
        t = time.monotonic()
        worker._follow_models()
        while worker._loading is not None:
            time.sleep(0.1)
            worker._follow_models()
        steps["promote → worker swaps"] = {"s": time.monotonic() - t, "worker_model": worker.model.version}
        worker.pool.shutdown()
        worker._loader.shutdown()
        worker.db.dispose()

        candidate = ModelChoice(str(settings.storage.resolved_models_dir / m.path), m.sha256, f"v{m.version}")
        bags = held_out_bags(settings, held, negatives, candidate, ModelChoice(str(coco_pt), None))
        with db.session() as s:
            assert s.query(Event).count() == counts["incidents"]
        db.dispose()

    print(f"\n{'step':26} {'seconds':>8} {'MB':>7}  figures")
    for name, f in steps.items():
        rest = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in f.items() if k not in ("s", "bytes")}
        mb = f"{f['bytes'] / 1e6:7.1f}" if "bytes" in f else "      –"
        print(f"{name:26} {f['s']:8.1f} {mb}  {rest}")
    print(f"\ngarbage_bag on {held.clip} (held out, {bags['frames']} frames a second apart while the object lies "
          f"there): candidate {bags['candidate_found']}/{bags['frames']} "
          f"({bags['candidate_found'] / max(1, bags['frames']):.0%}), COCO backpack/handbag/suitcase "
          f"{bags['coco_found']}/{bags['frames']}; candidate garbage_bag boxes elsewhere on those frames "
          f"{bags['candidate_other_bag_boxes']}, on {bags['negative_frames']} negative frames "
          f"{bags['candidate_bag_boxes_on_negatives']}")
    if args.json:
        args.json.write_text(json.dumps({"steps": steps, "held_out_bags": bags}, indent=2, default=str))


if __name__ == "__main__":
    main()
