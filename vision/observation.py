"""Everything the zone rules see of one analysed frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .detections import Detections
from .presence import Presence


@dataclass(frozen=True, eq=False)
class Observation:
    t: float  # seconds: wall clock live, video time offline
    detections: Detections  # tracked, with `category`; camera pixels
    static: Detections  # regions that became static (class `static_object`), camera pixels, with
    #                     `appeared_at` and `covered` (share of the region under a person or vehicle)
    image: np.ndarray | None = None  # the analysed picture, for evidence crops
    scale: tuple[float, float] = (1.0, 1.0)  # image pixels per camera pixel
    reset: bool = False  # the background models restarted on this frame (sudden global change)
    presence: Presence | None = None  # people and vehicles of the last seconds, for origins of objects

    def crop(self, box, pad: float = 0.15) -> np.ndarray | None:
        """The image under a camera-pixel box, with a margin."""
        if self.image is None:
            return None
        sx, sy = self.scale
        x1, y1, x2, y2 = box
        w, h = x2 - x1, y2 - y1
        h_img, w_img = self.image.shape[:2]
        a = int(max(0, (x1 - pad * w) * sx))
        b = int(max(0, (y1 - pad * h) * sy))
        c = int(min(w_img, (x2 + pad * w) * sx))
        d = int(min(h_img, (y2 + pad * h) * sy))
        if c - a < 2 or d - b < 2:
            return None
        return self.image[b:d, a:c].copy()
