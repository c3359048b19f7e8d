"""Synthetic camera scenes for the rules' causes: a textured floor, textured things painted on
it, and the detections a detector would give, frame by frame. Real pictures (the static stage and
the appearance checks work on them), scripted boxes (no detector needed)."""

from __future__ import annotations

import cv2
import numpy as np

from vision.analyzer import CameraAnalyzer
from vision.detections import Detections
from vision.rules import DumpingRule, SidewalkEncroachmentRule
from vision.static_objects import StaticObjectDetector
from vision.tracking import ObjectTracker
from vision.zones import PolygonZone

W, H = 640, 360
CATEGORIES = {"car": "vehicle", "motorcycle": "vehicle", "truck": "vehicle", "chair": "goods",
              "suitcase": "goods"}


def texture(h: int, w: int, seed: int, mean: float, spread: float = 40.0) -> np.ndarray:
    """A BGR picture of blotchy texture (a paved floor, a car's body), the same for a seed."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 1, (max(2, h // 4), max(2, w // 4), 3)).astype(np.float32)
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    tint = rng.uniform(-25, 25, 3).astype(np.float32)
    return np.clip(mean + tint + spread * noise, 0, 255).astype(np.uint8)


def floor(seed: int = 1) -> np.ndarray:
    return texture(H, W, seed, 120.0, 25.0)


def paint(image: np.ndarray, box, picture: np.ndarray) -> np.ndarray:
    """`picture` stretched over `box` (x1, y1, x2, y2), clipped to the image; returns the image."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    if x2 <= x1 or y2 <= y1:
        return image
    patch = cv2.resize(picture, (x2 - x1, y2 - y1), interpolation=cv2.INTER_LINEAR)
    a, b = max(0, x1), max(0, y1)
    c, d = min(image.shape[1], x2), min(image.shape[0], y2)
    if c > a and d > b:
        image[b:d, a:c] = patch[b - y1:d - y1, a - x1:c - x1]
    return image


def detections(*objects) -> Detections:
    """objects: (box, class_name[, confidence])."""
    if not objects:
        return Detections.empty().with_data(class_name=np.zeros(0, object))
    return Detections(np.array([o[0] for o in objects], np.float32),
                      np.array([o[2] if len(o) > 2 else 0.8 for o in objects], np.float32),
                      np.zeros(len(objects), np.int32), data={"class_name": np.array([o[1] for o in objects], object)})


def analyzer(zone: PolygonZone, fps: float = 2.0, **rule) -> CameraAnalyzer:
    """The production chain of one camera (tracker, static stage, the zone's rule)."""
    if zone.kind == "sidewalk":
        r = SidewalkEncroachmentRule(zone, {"vehicle", "goods"}, **rule)
    else:
        r = DumpingRule(zone, **rule)
    return CameraAnalyzer(CATEGORIES, ObjectTracker(fps=fps), [r], StaticObjectDetector())


def play(chain: CameraAnalyzer, script, seconds: float, fps: float = 2.0):
    """script(t) -> (image, detections); returns [(t, RuleEvent)]."""
    out = []
    for i in range(int(round(seconds * fps))):
        t = i / fps
        image, dets = script(t)
        _, events = chain.update(dets, t, image)
        out += [(t, e) for e in events]
    return out
