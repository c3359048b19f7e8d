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


def look(image: np.ndarray | None, box, template: np.ndarray | None, scale=(1.0, 1.0),
         slack: float = 0.15) -> float | None:
    """How much the picture in `box` looks like `template` (a `patch` of that box, or of the part
    of a larger one, taken earlier): the best normalised correlation over shifts of up to `slack`
    of the box each way (a camera that shakes, a box that jitters by a few pixels), on slightly
    blurred pictures (sensor noise, compression). None when it cannot be told: no picture, or one
    too plain to compare (a grey car body against a grey road)."""
    if image is None or template is None or template.std() < MIN_TEXTURE:
        return None
    w, h = box[2] - box[0], box[3] - box[1]
    wide = (box[0] - slack * w, box[1] - slack * h, box[2] + slack * w, box[3] + slack * h)
    side = round(PATCH * (1 + 2 * slack))
    sx, sy = scale
    x1, y1 = int(np.floor(wide[0] * sx)), int(np.floor(wide[1] * sy))
    x2, y2 = int(np.ceil(wide[2] * sx)), int(np.ceil(wide[3] * sy))
    ih, iw = image.shape[:2]
    if x2 - x1 < 3 or y2 - y1 < 3:
        return None
    # out of the picture counts as a border, not a reason to give up
    crop = cv2.copyMakeBorder(image[max(0, y1):min(ih, y2), max(0, x1):min(iw, x2)],
                              max(0, -y1), max(0, y2 - ih), max(0, -x1), max(0, x2 - iw), cv2.BORDER_REPLICATE)
    gray = cv2.resize(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), (side, side), interpolation=cv2.INTER_AREA)
    if gray.std() < MIN_TEXTURE:
        return None
    smooth = cv2.GaussianBlur(gray.astype(np.float32), (3, 3), 0)
    tmpl = cv2.GaussianBlur(template.astype(np.float32), (3, 3), 0)
    return float(cv2.matchTemplate(smooth, tmpl, cv2.TM_CCOEFF_NORMED).max())


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
