"""Where people and vehicles were over the last seconds, tracked or not: what the rules ask when
a static region needs an origin ("was anybody there when it appeared?")."""

from __future__ import annotations

from collections import deque

import numpy as np


def box_gap(a, b) -> float:
    """Distance between two boxes' edges (0 when they touch or overlap)."""
    dx = max(a[0] - b[2], b[0] - a[2], 0.0)
    dy = max(a[1] - b[3], b[1] - a[3], 0.0)
    return float(np.hypot(dx, dy))


class Presence:
    """People and vehicles seen in the last `keep_s` seconds (camera pixels)."""

    def __init__(self, keep_s: float = 30.0):
        self.keep_s = keep_s
        self._frames: deque[tuple[float, np.ndarray]] = deque()

    def add(self, t: float, boxes: np.ndarray) -> None:
        self._frames.append((t, np.asarray(boxes, np.float32).reshape(-1, 4)))
        while self._frames and t - self._frames[0][0] > self.keep_s:
            self._frames.popleft()

    def near(self, box, reach: float, since: float, until: float) -> list[float]:
        """Times in [since, until] at which somebody (or a vehicle) was within `reach` of `box`."""
        box = np.asarray(box, np.float32)
        out = []
        for t, boxes in self._frames:
            if since <= t <= until and len(boxes):
                dx = np.maximum(np.maximum(boxes[:, 0] - box[2], box[0] - boxes[:, 2]), 0)
                dy = np.maximum(np.maximum(boxes[:, 1] - box[3], box[1] - boxes[:, 3]), 0)
                if float(np.hypot(dx, dy).min()) <= reach:
                    out.append(t)
        return out
