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


class TrainError(ValueError):
    pass


@dataclass
class TrainResult:
    weights: Path  # best epoch (by validation fitness), or the last one when there is no validation
    run_dir: Path
    epochs: int
    seconds: float
    metrics: dict  # Ultralytics' last validation figures (mAP50, ...), where it validated


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


def train(dataset: Path, base: Path, run_dir: Path, *, epochs: int, imgsz: int, device: str = "cpu",
          batch: int = 8, resume: bool = False, on_epoch: Callable[[int, int, dict], None] | None = None,
          seed: int = 0) -> TrainResult:
    """Trains into `run_dir` (weights/last.pt after every epoch: `resume` goes on from there)."""
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
    args = dict(data=str((dataset / "data.yaml").resolve()), epochs=epochs, imgsz=imgsz, device=device,
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
                       metrics)
