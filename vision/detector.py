"""Object detector over `ultralytics.YOLO`: any model file it loads (.pt, .onnx, OpenVINO)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .detections import Detections

# Ultralytics otherwise probes the network at import, may pip-install missing packages and sends
# usage events; a worker must never reach out. Weights named by an existing path load as they are.
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_VERBOSE", "False")


class ModelNotFound(FileNotFoundError):
    pass


class YoloDetector:
    """Runs the model on whole images and returns one `Detections` per image, in image pixels."""

    def __init__(
        self,
        model: str,
        imgsz: int = 640,
        confidence: float = 0.25,
        device: str = "cpu",
        classes: Iterable[str] | None = None,
        optional_classes: Iterable[str] = (),
    ):
        from ultralytics import YOLO  # heavy: imported only where a detector is really built

        path = Path(model).expanduser()
        looks_like_path = path.is_absolute() or len(path.parts) > 1
        if looks_like_path and not path.exists():
            raise ModelNotFound(f"model file not found: {path}")
        self.model_path = str(path) if path.exists() else model
        self._yolo = YOLO(self.model_path, task="detect")
        self.imgsz = imgsz
        self.confidence = confidence
        self.device = device
        self.names: dict[int, str] = dict(self._yolo.names)
        by_name = {n: i for i, n in self.names.items()}
        if classes is None:
            self.class_ids = None
        else:
            wanted = set(classes)
            unknown = wanted - set(by_name)
            if unknown:
                raise ValueError(f"model {model} has no class named {', '.join(sorted(unknown))}")
            wanted |= set(optional_classes) & set(by_name)
            self.class_ids = sorted(by_name[n] for n in wanted)

    def detect(self, images: list[np.ndarray]) -> list[Detections]:
        """Detect on BGR images (H, W, 3 uint8)."""
        out = []
        for image in images:
            result = self._yolo.predict(
                image,
                imgsz=self.imgsz,
                conf=self.confidence,
                device=self.device,
                classes=self.class_ids,
                verbose=False,
            )[0]
            out.append(self._to_detections(result))
        return out

    def _to_detections(self, result) -> Detections:
        boxes = result.boxes.cpu().numpy()
        if not len(boxes):
            return Detections.empty().with_data(class_name=np.zeros(0, dtype=object))
        cls = boxes.cls.astype(np.int32)
        names = np.array([self.names[int(c)] for c in cls], dtype=object)
        return Detections(boxes.xyxy, boxes.conf, cls, data={"class_name": names})

    def warmup(self, height: int = 360, width: int = 640) -> None:
        self.detect([np.zeros((height, width, 3), np.uint8)])
