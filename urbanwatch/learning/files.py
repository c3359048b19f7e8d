"""Model files in the registry's folder (storage.models_dir, shared by every node): named by their
content, written whole or not at all, never overwritten."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from models.evidence import sha256_file

MODEL_SUFFIXES = (".pt", ".onnx")


class ModelFileError(ValueError):
    pass


def check_model_file(path: Path) -> None:
    if not path.is_file():
        raise ModelFileError(f"no such model file: {path}")
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelFileError(f"{path.name}: the registry keeps .pt and .onnx files")


def store_model(models_dir: Path, src: Path) -> tuple[str, str]:
    """Copies `src` into the models folder as `<sha256[:12]>-<name>`; returns (that name, SHA-256).
    The copy appears at once, complete (written beside, then renamed), so a worker on another node
    never loads half a file."""
    check_model_file(src)
    sha = sha256_file(src)
    name = f"{sha[:12]}-{src.name}"
    dest = models_dir / name
    if not dest.exists():
        models_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=models_dir, prefix=".incoming-", suffix=src.suffix)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return name, sha


def model_classes(path: Path) -> list[str]:
    """The class names a model file carries, in its order (Ultralytics reads them, offline)."""
    from vision.detector import keep_ultralytics_offline

    keep_ultralytics_offline()
    from ultralytics import YOLO

    try:
        names = YOLO(str(path), task="detect").names
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same problem to the user
        raise ModelFileError(f"{path.name}: not a detector Ultralytics can load ({exc})") from None
    return [names[i] for i in sorted(names)]
