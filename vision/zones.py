"""Zones: polygons on the camera picture with the rule that applies inside them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .detections import Detections
from .geometry import points_in_polygon


@dataclass(frozen=True, eq=False)
class PolygonZone:
    """A named polygon in camera pixels. `trigger` tells which detections stand inside it."""

    name: str
    kind: str  # "sidewalk" or "no_dumping"
    polygon: np.ndarray  # (M, 2) float, camera pixels at full resolution

    def __post_init__(self):
        poly = np.asarray(self.polygon, np.float32).reshape(-1, 2)
        if len(poly) < 3:
            raise ValueError(f"zone {self.name}: a polygon needs at least 3 points")
        object.__setattr__(self, "polygon", poly)

    def trigger(self, detections: Detections) -> np.ndarray:
        """Mask of detections whose ground point (bottom-centre of the box) lies in the zone:
        a car whose roof overlaps the sidewalk in the picture but whose wheels are on the road
        is not on the sidewalk."""
        if not len(detections):
            return np.zeros(0, bool)
        return points_in_polygon(detections.bottom_center, self.polygon)

    def scaled(self, sx: float, sy: float) -> PolygonZone:
        return PolygonZone(self.name, self.kind, self.polygon * np.array([sx, sy], np.float32))
