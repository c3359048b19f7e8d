"""Fine-tuning a detector on an exported dataset (`urbanwatch dataset export`), offline.

The office's classes are not COCO's, so a new class head is needed. Started at random it would
forget cars and people before it learnt stools, on a few hundred pictures; instead each office
class starts from the COCO class it stands in for (stool_chair from chair, goods from suitcase,
garbage_bag from backpack, ...): at epoch 0 the candidate already sees what the COCO model saw,
and training moves it towards the office's own objects. Classes with no COCO counterpart
(stall_cart, sign_board, garbage_pile) start from the prior Ultralytics gives a new class.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

# office class -> the COCO classes it stands in for (their head rows are averaged)
WARM_START: dict[str, tuple[str, ...]] = {
    "car": ("car",), "motorcycle": ("motorcycle",), "bicycle": ("bicycle",), "bus": ("bus",), "truck": ("truck",),
    "person": ("person",), "stool_chair": ("chair", "bench"), "table": ("dining table",),
    "goods": ("suitcase",), "garbage_bag": ("backpack", "handbag", "suitcase"), "other": ("suitcase",),
}


# Street classes every picture is full of. A reviewer labels the incident's object only; the other
# cars and people in the picture, unlabelled, would be taught as background ("not a car"), and the
# candidate would unlearn them. The running model's confident boxes of these classes label them.
PSEUDO_CLASSES = ("car", "motorcycle", "bicycle", "bus", "truck", "person")
PSEUDO_CONFIDENCE = 0.5
PSEUDO_KEEP_CLEAR = 0.3  # IoU with a reviewer's box above which the reviewer's box stands alone


class TrainError(ValueError):
    pass


@dataclass
class TrainResult:
    weights: Path  # best epoch (by validation fitness), or the last one when there is no validation
    run_dir: Path
    epochs: int
    seconds: float
    metrics: dict  # Ultralytics' last validation figures (mAP50, ...), where it validated
    pseudo_boxes: int = 0  # boxes the running model added to the reviewers' pictures


def dataset_names(dataset: Path) -> list[str]:
    data = dataset / "data.yaml"
    if not data.is_file():
        raise TrainError(f"{dataset}: no data.yaml (make one with `urbanwatch dataset export`)")
    names = (yaml.safe_load(data.read_text()) or {}).get("names")
    if isinstance(names, dict):
        names = [names[k] for k in sorted(names)]
    if not names:
        raise TrainError(f"{data}: no class names")
    for split in ("train", "val"):
        if not any((dataset / "images" / split).glob("*.jpg")):
            raise TrainError(f"{dataset}: no {split} pictures (review more incidents, on more days or cameras)")
    return list(names)


def warm_started(base: Path, names: list[str], out: Path) -> Path:
    """`base` with a class head for `names`, each row taken from the COCO classes it stands in for."""
    import torch

    from vision.detector import keep_ultralytics_offline

    keep_ultralytics_offline()
    from ultralytics import YOLO

    yolo = YOLO(str(base))
    model = yolo.model
    old = {n: i for i, n in model.names.items()}
    if list(model.names.values()) == names:
        return base  # already the office's classes: train on
    head = model.model[-1]
    for i, seq in enumerate(head.cv3):
        conv = seq[-1]
        new = torch.nn.Conv2d(conv.in_channels, len(names), 1, bias=True)
        # a new class's prior, as Ultralytics sets it (about 5 objects in a 640 picture)
        prior = math.log(5 / len(names) / (640 / float(head.stride[i])) ** 2)
        with torch.no_grad():
            new.weight.zero_()
            new.bias.fill_(prior)
            for j, name in enumerate(names):
                rows = [old[c] for c in WARM_START.get(name, ()) if c in old]
                if rows:
                    new.weight[j] = conv.weight[rows].float().mean(0)
                    new.bias[j] = conv.bias[rows].float().mean()
        seq[-1] = new.to(conv.weight.dtype)
    head.nc, head.no = len(names), len(names) + head.reg_max * 4
    model.yaml["nc"] = len(names)
    model.names = dict(enumerate(names))
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model, "train_args": {}, "date": None, "version": None, "epoch": -1}, out)
    return out


def _iou(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter + 1e-9)


def with_pseudo_labels(dataset: Path, labeller: Path, out: Path, imgsz: int = 640) -> tuple[Path, int]:
    """A copy of `dataset` under `out` (pictures linked, not copied) whose positive pictures also
    carry the labeller's confident boxes of PSEUDO_CLASSES that no reviewer's box covers. Pictures
    dismissed as false detections stay empty: what was dismissed there must stay "nothing".
    Returns (its data.yaml, boxes added)."""
    import os

    import cv2

    from vision.detector import YoloDetector

    names = dataset_names(dataset)
    detector = YoloDetector(str(labeller), imgsz, PSEUDO_CONFIDENCE, classes=[],
                            optional_classes=PSEUDO_CLASSES, learned_classes=PSEUDO_CLASSES)
    added = 0
    for split in ("train", "val"):
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
        for picture in sorted((dataset / "images" / split).glob("*.jpg")):
            target = out / "images" / split / picture.name
            if not target.exists():
                os.link(picture, target) if picture.stat().st_dev == out.stat().st_dev else \
                    target.write_bytes(picture.read_bytes())
            label = dataset / "labels" / split / f"{picture.stem}.txt"
            lines = [x for x in (label.read_text().splitlines() if label.is_file() else []) if x.strip()]
            if lines and split == "train":  # validation stays the reviewers' own
                image = cv2.imread(str(picture))
                h, w = image.shape[:2]
                given = []
                for x in lines:
                    _, cx, cy, bw, bh = map(float, x.split())
                    given.append(((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h))
                d = detector.detect([image])[0]
                for box, cls in zip(d.xyxy, d.class_name, strict=True):
                    if cls not in names or any(_iou(box, g) > PSEUDO_KEEP_CLEAR for g in given):
                        continue
                    x1, y1, x2, y2 = (float(v) for v in box)
                    lines.append(f"{names.index(cls)} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} "
                                 f"{(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
                    added += 1
            (out / "labels" / split / f"{picture.stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    listed = "\n".join(f"  {i}: {c}" for i, c in enumerate(names))
    data = out / "data.yaml"
    data.write_text(f"path: {out.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{listed}\n")
    return data, added


def train(dataset: Path, base: Path, run_dir: Path, *, epochs: int, imgsz: int, device: str = "cpu",
          batch: int = 8, resume: bool = False, on_epoch: Callable[[int, int, dict], None] | None = None,
          seed: int = 0, labeller: Path | None = None) -> TrainResult:
    """Trains into `run_dir` (weights/last.pt after every epoch: `resume` goes on from there).
    `labeller`: the running model, whose confident street boxes label what reviewers did not (see
    PSEUDO_CLASSES); None trains on the reviewers' labels alone."""
    import time

    from vision.detector import keep_ultralytics_offline

    keep_ultralytics_offline()
    from ultralytics import YOLO

    names = dataset_names(dataset)
    last = run_dir / "weights" / "last.pt"
    if resume:
        if not last.is_file():
            raise TrainError(f"{run_dir}: nothing to resume (no weights/last.pt)")
        yolo = YOLO(str(last))
    else:
        start = warm_started(base, names, run_dir / "start.pt")
        yolo = YOLO(str(start))

    def epoch_end(trainer) -> None:
        if on_epoch is not None:
            on_epoch(trainer.epoch + 1, trainer.epochs, dict(trainer.metrics or {}))

    yolo.add_callback("on_fit_epoch_end", epoch_end)
    started = time.monotonic()
    data, pseudo = dataset / "data.yaml", 0
    if labeller is not None and not resume:
        run_dir.mkdir(parents=True, exist_ok=True)
        data, pseudo = with_pseudo_labels(dataset, labeller, run_dir / "data", imgsz)
    args = dict(data=str(data.resolve()), epochs=epochs, imgsz=imgsz, device=device,
                batch=batch, workers=0, plots=False, amp=False, verbose=False, seed=seed, deterministic=True,
                project=str(run_dir.parent.resolve()), name=run_dir.name, exist_ok=True)
    if resume:
        yolo.train(resume=True)
    else:
        yolo.train(**args)
    trainer = yolo.trainer
    best = Path(trainer.best) if Path(trainer.best).is_file() else Path(trainer.last)
    metrics = {k: round(float(v), 4) for k, v in (trainer.metrics or {}).items() if isinstance(v, int | float)}
    return TrainResult(best, Path(trainer.save_dir), int(trainer.epochs), round(time.monotonic() - started, 1),
                       metrics, pseudo)
