"""Object detector over `ultralytics.YOLO`: any model file it loads (.pt, .onnx, OpenVINO).

Ultralytics loads the model and tells its classes. For ONNX files the detector then runs the
network itself through onnxruntime, many tiles per call, with numpy pre- and post-processing:
Ultralytics' generic predictor costs more than the network at 320 pixels on a CPU (measured here:
33 images/s through `predict` against 70 through the bare session). Other formats go through
Ultralytics' predictor.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from .detections import CLASS_NAME, DETECTED, Detections


def keep_ultralytics_offline() -> None:
    """Before Ultralytics is first imported: it otherwise probes the network at import, may
    pip-install missing packages and sends usage events; a worker must never reach out. Weights
    named by an existing path load as they are."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "False")


PAD = 114  # the grey Ultralytics pads with


class ModelNotFound(FileNotFoundError):
    pass


def _no_detections() -> Detections:
    return Detections.empty(DETECTED)


class YoloDetector:
    """Detects on images of any size (letterboxed to the input size) or on ready-made tiles."""

    def __init__(
        self,
        model: str,
        imgsz: int = 640,
        confidence: float = 0.25,
        device: str = "cpu",
        classes: Iterable[str] | None = None,
        optional_classes: Iterable[str] = (),
        learned_classes: Iterable[str] = (),
        iou: float = 0.45,
        threads: int = 0,
    ):
        keep_ultralytics_offline()
        from ultralytics import YOLO  # heavy: imported only where a detector is really built

        path = Path(model).expanduser()
        looks_like_path = path.is_absolute() or len(path.parts) > 1
        if looks_like_path and not path.exists():
            raise ModelNotFound(f"model file not found: {path}")
        self.model_path = str(path) if path.exists() else model
        self._yolo = YOLO(self.model_path, task="detect")
        self.imgsz = imgsz
        self.confidence = confidence
        self.iou = iou
        self.device = device
        self.names: dict[int, str] = dict(self._yolo.names)
        self._name_array = np.array([self.names.get(i, str(i)) for i in range(max(self.names) + 1)], dtype=object)
        by_name = {n: i for i, n in self.names.items()}
        if classes is None:
            self.class_ids = None
        else:
            # A model trained on the office's own classes (`learned_classes`) stands in for the COCO
            # ones it replaces: it need not know every class asked, only report those it knows.
            wanted = set(classes)
            unknown = wanted - set(by_name)
            learned = set(learned_classes) & set(by_name)
            if unknown and not learned:
                raise ValueError(f"model {model} has no class named {', '.join(sorted(unknown))}")
            wanted = (wanted - unknown) | ((set(optional_classes) | learned) & set(by_name))
            if not wanted:
                raise ValueError(f"model {model} knows none of the classes asked of it")
            self.class_ids = sorted(by_name[n] for n in wanted)
        self._session = (
            self._onnx_session(path, threads) if path.suffix.lower() == ".onnx" and path.is_file() else None
        )
        self.batching = False
        if self._session is not None:
            shape = self._session.get_inputs()[0].shape
            self.batching = not isinstance(shape[0], int)
            if isinstance(shape[2], int) and isinstance(shape[3], int):
                self.imgsz = shape[2]  # a fixed-size export decides the input size

    @property
    def concurrent(self) -> bool:
        """Can several threads run it at once (an onnxruntime session can; Ultralytics' predictor not)."""
        return self._session is not None

    def _onnx_session(self, path: Path, threads: int):
        import onnxruntime as ort

        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if self.device.startswith("cuda") else [
            "CPUExecutionProvider"]
        available = set(ort.get_available_providers())
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads  # 0: onnxruntime decides
        return ort.InferenceSession(str(path), options, providers=[p for p in providers if p in available])

    # ------------------------------------------------------------------ public
    def detect(self, images: list[np.ndarray]) -> list[Detections]:
        """Detect on BGR images (H, W, 3 uint8) of any size; boxes in each image's pixels."""
        if self._session is None:
            return [self._ultralytics(image) for image in images]
        inputs, scales = [], []
        for image in images:
            tile, scale = self.letterbox(image)
            inputs.append(tile)
            scales.append(scale)
        return [d.scaled(1 / s, 1 / s) for d, s in zip(self.detect_tiles(inputs), scales, strict=True)]

    def detect_tiles(self, tiles: list[np.ndarray]) -> list[Detections]:
        """Detect on BGR tiles already at the input size (imgsz x imgsz); boxes in tile pixels."""
        if not tiles:
            return []
        if self._session is None:
            return [self._ultralytics(t) for t in tiles]
        out = []
        step = len(tiles) if self.batching else 1
        for i in range(0, len(tiles), step):
            batch = np.stack(tiles[i : i + step])[..., ::-1]  # BGR -> RGB
            x = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255.0)
            raw = self._session.run(None, {self._session.get_inputs()[0].name: x})[0]
            out += [self._decode(r) for r in raw]
        return out

    def letterbox(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """The image shrunk to fit imgsz x imgsz, padded right and below; and the scale used."""
        h, w = image.shape[:2]
        scale = self.imgsz / max(h, w)
        if scale != 1.0:
            image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                               interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        h, w = image.shape[:2]
        if (h, w) == (self.imgsz, self.imgsz):
            return image, scale
        out = np.full((self.imgsz, self.imgsz, 3), PAD, np.uint8)
        out[:h, :w] = image
        return out, scale

    def warmup(self, height: int = 360, width: int = 640) -> None:
        self.detect([np.zeros((height, width, 3), np.uint8)])

    # ------------------------------------------------------------------ internals
    def _decode(self, raw: np.ndarray) -> Detections:
        """One image's raw output: (4 + classes, anchors) as YOLOv8/11 export it, or (N, 6) boxes
        from NMS-free exports."""
        if raw.ndim == 2 and raw.shape[-1] == 6:  # x1, y1, x2, y2, score, class
            keep = raw[:, 4] >= self.confidence
            boxes, scores, cls = raw[keep, :4], raw[keep, 4], raw[keep, 5].astype(np.int32)
            return self._make(boxes, scores, cls)
        pred = raw.T  # (anchors, 4 + classes)
        scores_all = pred[:, 4:]
        if self.class_ids is not None:
            scores_all = scores_all[:, self.class_ids]
        cls = scores_all.argmax(axis=1)
        scores = scores_all[np.arange(len(cls)), cls]
        keep = scores >= self.confidence
        if not keep.any():
            return _no_detections()
        cls = cls[keep] if self.class_ids is None else np.asarray(self.class_ids)[cls[keep]]
        scores, cxcywh = scores[keep], pred[keep, :4]
        xywh = np.concatenate([cxcywh[:, :2] - cxcywh[:, 2:] / 2, cxcywh[:, 2:]], axis=1)
        idx = cv2.dnn.NMSBoxesBatched(xywh.tolist(), scores.tolist(), cls.tolist(), self.confidence, self.iou)
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        boxes = np.concatenate([xywh[idx, :2], xywh[idx, :2] + xywh[idx, 2:]], axis=1)
        return self._make(boxes, scores[idx], cls[idx].astype(np.int32))

    def _make(self, boxes, scores, cls) -> Detections:
        if not len(boxes):
            return _no_detections()
        return Detections(boxes, scores, cls, data={CLASS_NAME: self._name_array[cls]})

    def _ultralytics(self, image: np.ndarray) -> Detections:
        result = self._yolo.predict(image, imgsz=self.imgsz, conf=self.confidence, iou=self.iou,
                                    device=self.device, classes=self.class_ids, verbose=False)[0]
        boxes = result.boxes.cpu().numpy()
        if not len(boxes):
            return _no_detections()
        cls = boxes.cls.astype(np.int32)
        return Detections(boxes.xyxy, boxes.conf, cls, data={CLASS_NAME: self._name_array[cls]})
