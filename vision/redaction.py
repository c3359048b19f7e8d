"""Blurring the people and vehicles an incident is not about, for evidence that leaves the office
(Law 91/2025/QH15 on personal data: public cameras may record for public order, but what is handed
out must not expose bystanders).

What is blurred in a picture, outside the incident's own boxes (the object, the vehicle that
encroaches, the owner who left it: the subject is evidence and stays sharp), uses what the worker's
detector saw in the alert's frame (kept with the event):
- the head of every person (the top of the box),
- the plate zone of every vehicle (the lower part of the box, where plates are fixed).

Limits, said plainly: people and vehicles the detector missed (small, hidden, at the edge) are not
blurred, and a person lying or bending has the head elsewhere than the top of the box. OpenCV 5
ships no face or plate cascades any more, and no face model comes with the packages used here. An
event stored without the detector's boxes, and every clip (people move; the boxes are of one
frame), are therefore redacted the safe way: everything outside the subject's region is blurred.
"""

from __future__ import annotations

import cv2
import numpy as np

Box = tuple[float, float, float, float]
HEAD = 0.22  # the top share of a standing person's box that holds the head
PLATE_FROM = 0.55  # a vehicle's plate zone: from this share of the box's height down
KEEP_MARGIN = 0.1  # the subject's boxes grown by this share: its edges stay sharp


def _grow(box: Box, f: float) -> Box:
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    return x1 - f * w, y1 - f * h, x2 + f * w, y2 + f * h


def _inside(box: Box, keep: list[Box]) -> bool:
    """A region belongs to the subject when its centre lies in one of the subject's boxes."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(k[0] <= cx <= k[2] and k[1] <= cy <= k[3] for k in keep)


def sensitive_regions(seen: list[tuple[str, Box]], keep: list[Box]) -> list[Box]:
    """Boxes (image pixels) of heads and plates that are not the subject's. `seen`: (category,
    box) of the people and vehicles the detector saw; `keep`: the subject's boxes."""
    keep = [_grow(k, KEEP_MARGIN) for k in keep]
    out: list[Box] = []
    for category, (x1, y1, x2, y2) in seen:
        if category == "person":
            out.append((x1, y1, x2, y1 + HEAD * (y2 - y1)))
        elif category == "vehicle":
            out.append((x1, y1 + PLATE_FROM * (y2 - y1), x2, y2))
    return [b for b in out if not _inside(b, keep)]


def blur_regions(image: np.ndarray, regions: list[Box]) -> np.ndarray:
    """A copy with each region pixelated past recognition (blocks of a sixth of its size, at least
    8 px) and smoothed."""
    out = image.copy()
    h, w = out.shape[:2]
    for x1, y1, x2, y2 in regions:
        a, b = max(0, int(x1)), max(0, int(y1))
        c, d = min(w, int(np.ceil(x2))), min(h, int(np.ceil(y2)))
        if c - a < 2 or d - b < 2:
            continue
        part = out[b:d, a:c]
        block = max(8, min(c - a, d - b) // 6)
        small = cv2.resize(part, (max(1, (c - a) // block), max(1, (d - b) // block)), interpolation=cv2.INTER_AREA)
        mosaic = cv2.resize(small, (c - a, d - b), interpolation=cv2.INTER_NEAREST)
        out[b:d, a:c] = cv2.GaussianBlur(mosaic, (0, 0), block / 2)
    return out


def redact(image: np.ndarray, seen: list[tuple[str, Box]] | None, keep: list[Box]) -> np.ndarray:
    """The picture with bystanders' heads and plates blurred; without the detector's boxes
    (`seen` None), everything outside the subject."""
    if seen is None:
        return blur_outside(image, keep_region(keep, image.shape[1], image.shape[0]))
    return blur_regions(image, sensitive_regions(seen, keep))


def blur_outside(image: np.ndarray, region: tuple[int, int, int, int]) -> np.ndarray:
    """Everything but `region` (x, y, w, h) blurred past recognition."""
    x, y, w, h = region
    out = cv2.GaussianBlur(cv2.resize(image, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA), (0, 0), 2)
    out = cv2.resize(out, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    out[y:y + h, x:x + w] = image[y:y + h, x:x + w]
    return out


def keep_region(keep: list[Box], width: int, height: int, margin: float = 0.3) -> tuple[int, int, int, int]:
    """The one rectangle a clip keeps sharp: the subject's boxes together, grown by `margin`,
    within the frame, with even sizes (video encoders want them)."""
    x1, y1 = min(k[0] for k in keep), min(k[1] for k in keep)
    x2, y2 = max(k[2] for k in keep), max(k[3] for k in keep)
    x1, y1, x2, y2 = _grow((x1, y1, x2, y2), margin)
    x1, y1 = max(0, int(x1)) & ~1, max(0, int(y1)) & ~1
    x2, y2 = min(width, int(np.ceil(x2))), min(height, int(np.ceil(y2)))
    return x1, y1, max(2, (x2 - x1) & ~1), max(2, (y2 - y1) & ~1)
