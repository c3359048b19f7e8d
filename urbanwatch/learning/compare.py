"""A candidate model against the running one, before anyone promotes it:

- on the held-out reviews: the validation split of the exported dataset (camera-days the
  candidate never trained on). Per model: the share of reviewed objects it finds (a box of the
  same category, IoU >= 0.3) and how many goods/litter boxes it puts on pictures reviewers
  dismissed as false detections (what would have raised the false alerts again);
- on the ground-truth clips: `urbanwatch eval`'s figures (precision, recall, F1, false alerts),
  the whole pipeline with each model in turn.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from ..config import Settings
from ..evaluation.ground_truth import GroundTruth
from ..evaluation.parallel import run_tasks, tasks_for
from ..evaluation.report import overall
from ..evaluation.variants import apply_variant
from ..runtime.model_choice import ModelChoice, load_detector
from .train import dataset_names

FOUND_IOU = 0.3
ALARMING = ("goods", "litter")  # categories whose boxes raise encroachment/dumping when they stand still


def _category(settings: Settings, name: str) -> str:
    mapping = settings.detector.class_to_category()
    return "person" if name == "person" else mapping.get(name, name)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _labels(path: Path, names: list[str], w: int, h: int) -> list[tuple[str, np.ndarray]]:
    out = []
    for line in path.read_text().split("\n") if path.is_file() else []:
        parts = line.split()
        if len(parts) != 5:
            continue
        c, cx, cy, bw, bh = int(parts[0]), *map(float, parts[1:])
        out.append((names[c], np.array([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h])))
    return out


def on_reviews(settings: Settings, dataset: Path, model: ModelChoice,
               progress: Callable[[int, int], None] | None = None) -> dict:
    """`model` on the dataset's validation pictures (whole pictures, as the reviewer saw them)."""
    names = dataset_names(dataset)
    detector = load_detector(settings, model)
    pictures = sorted((dataset / "images" / "val").glob("*.jpg"))
    objects = found = backgrounds = alarming = 0
    by_category: dict[str, list[int]] = {}
    for i, path in enumerate(pictures):
        if progress:
            progress(i, len(pictures))
        image = cv2.imread(str(path))
        if image is None:
            continue
        h, w = image.shape[:2]
        labels = _labels(dataset / "labels" / "val" / f"{path.stem}.txt", names, w, h)
        d = detector.detect([image])[0]
        cats = [_category(settings, str(n)) for n in d.class_name]
        if not labels:
            backgrounds += 1
            alarming += sum(c in ALARMING for c in cats)
            continue
        for cls, box in labels:
            want = _category(settings, cls)
            hit = any(c == want and _iou(d.xyxy[k], box) >= FOUND_IOU for k, c in enumerate(cats))
            objects, found = objects + 1, found + hit
            tally = by_category.setdefault(want, [0, 0])
            tally[0], tally[1] = tally[0] + 1, tally[1] + hit
    return {"pictures": len(pictures), "objects": objects, "found": found,
            "recall": round(found / objects, 4) if objects else None,
            "background_pictures": backgrounds, "alarming_boxes_on_backgrounds": alarming,
            "recall_by_category": {c: round(f / n, 4) for c, (n, f) in sorted(by_category.items())}}


def on_clips(settings: Settings, gts: list[GroundTruth], model: ModelChoice, fps: float = 2.0, jobs: int = 1,
             on_progress: Callable[[int, float], None] | None = None) -> dict:
    """`urbanwatch eval` of the whole pipeline with `model` on the ground-truth clips."""
    variant = apply_variant(settings, {"detector.model": model.path})
    results = run_tasks(tasks_for(gts, variant, fps), fps, jobs, on_progress=on_progress)
    total = overall(results).to_dict()
    negatives = sum(len(r.alerts) for r in results if r.gt.negative)
    return {"clips": len(results), "fps": fps, **{k: total[k] for k in ("tp", "fp", "fn", "precision", "recall",
                                                                          "f1")},
            "alerts_on_negatives": negatives,
            "per_clip": {r.gt.name.removesuffix(".gt.json"): r.score.to_dict()["f1"] for r in results}}
