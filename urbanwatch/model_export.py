"""ONNX export of Ultralytics weights for the fast detector path, offline and side-effect free."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import vision.detector  # noqa: F401  (its import puts Ultralytics offline)


def export_onnx(model: Path, imgsz: int, target: Path) -> Path:
    """Write `model` as ONNX with a dynamic batch at input size `imgsz` to `target`.

    Ultralytics writes its export beside the weights it reads, so the weights are copied to a
    scratch folder first: the source folder (often a read-only shared one) is never touched.
    """
    from vision.detector import keep_ultralytics_offline

    keep_ultralytics_offline()
    from ultralytics import YOLO

    if imgsz % 32:
        raise ValueError(f"imgsz must be a multiple of 32, got {imgsz}")
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / model.name
        shutil.copy(model, local)
        made = YOLO(str(local)).export(format="onnx", imgsz=imgsz, dynamic=True, simplify=False, verbose=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(made, target)
    return target
