"""How an object looks, for telling it from another one at the same place: a small grey picture
of its box, compared by normalised cross-correlation (blind to brightness and contrast)."""

from __future__ import annotations

import cv2
import numpy as np

PATCH = 24  # side of the compared picture, pixels
MIN_TEXTURE = 3.0  # grey-level spread below which a picture is too plain to compare


def patch(image: np.ndarray | None, box, scale=(1.0, 1.0)) -> np.ndarray | None:
    """A small grey picture of the box (camera pixels; `scale`: image pixels per camera pixel)."""
    if image is None:
        return None
    sx, sy = scale
    x1, y1, x2, y2 = int(box[0] * sx), int(box[1] * sy), int(np.ceil(box[2] * sx)), int(np.ceil(box[3] * sy))
    h, w = image.shape[:2]
    x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
    if x2 - x1 < 3 or y2 - y1 < 3:
        return None
    gray = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, (PATCH, PATCH), interpolation=cv2.INTER_AREA).astype(np.float32)


def ncc(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Normalised cross-correlation: 1 for the same picture under any brightness and contrast."""
    if a is None or b is None:
        return 0.0
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-6 else 0.0


def similar(a: np.ndarray | None, b: np.ndarray | None, threshold: float) -> bool | None:
    """Do two pictures show the same thing? None when it cannot be told (no picture, or one too
    plain to compare: a grey car body against a grey road)."""
    if a is None or b is None or a.std() < MIN_TEXTURE or b.std() < MIN_TEXTURE:
        return None
    return ncc(a, b) >= threshold


def part_of(template: np.ndarray | None, anchor, box) -> np.ndarray | None:
    """The part of a picture of `anchor` (a `patch`) that shows `box`, a box inside it: what the
    visible part of a partly hidden object looked like before."""
    if template is None:
        return None
    aw, ah = anchor[2] - anchor[0], anchor[3] - anchor[1]
    if aw <= 0 or ah <= 0:
        return None
    x1 = int(np.clip((box[0] - anchor[0]) / aw * PATCH, 0, PATCH - 1))
    y1 = int(np.clip((box[1] - anchor[1]) / ah * PATCH, 0, PATCH - 1))
    x2 = int(np.clip(np.ceil((box[2] - anchor[0]) / aw * PATCH), x1 + 1, PATCH))
    y2 = int(np.clip(np.ceil((box[3] - anchor[1]) / ah * PATCH), y1 + 1, PATCH))
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    return cv2.resize(template[y1:y2, x1:x2], (PATCH, PATCH), interpolation=cv2.INTER_LINEAR)
