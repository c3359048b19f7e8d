"""Which parts of a camera's frame to send to the detector, frame by frame.

The zones are all that matter: the detector looks at the zones (widened upwards, since an object
standing in a zone rises above it) where something moved since the last frame, and at the whole
of the zones every `recheck_s` seconds, because a parked car or a stall makes no motion. Where it
did not look, what it saw before still stands: nothing moved there.
"""

from __future__ import annotations

import numpy as np

from .detections import CLASS_NAME, SEEN_AT, Detections
from .tiling import Box, Tile, TilePlanner, intersect


def zone_regions(zones: list[np.ndarray], width: int, height: int, scale: tuple[float, float]) -> list[Box]:
    """Each zone's box in image pixels, widened: objects stand in the zone and rise above it."""
    out = []
    for z in zones:
        x0, y0 = np.asarray(z, np.float32).reshape(-1, 2).min(axis=0) * scale
        x1, y1 = np.asarray(z, np.float32).reshape(-1, 2).max(axis=0) * scale
        up = 0.5 * (y1 - y0) + 0.1 * height
        side = 0.05 * width
        down = 0.02 * height
        out.append((max(0.0, x0 - side), max(0.0, y0 - up), min(width, x1 + side), min(height, y1 + down)))
    return out


class DetectionScheduler:
    def __init__(self, planner: TilePlanner, zones: list[np.ndarray], recheck_s: float = 3.0):
        self.planner = planner
        self.recheck_s = recheck_s
        self.zones = [np.asarray(z, np.float32).reshape(-1, 2) for z in zones]  # camera pixels
        self._last_full = -1e18
        self._carried: Detections | None = None

    def set_zones(self, zones: list[np.ndarray]) -> None:
        self.zones = [np.asarray(z, np.float32).reshape(-1, 2) for z in zones]
        self._last_full = -1e18  # look everywhere at once

    def regions(self, width: int, height: int, scale: tuple[float, float]) -> list[Box]:
        return zone_regions(self.zones, width, height, scale)

    def plan(self, width: int, height: int, scale: tuple[float, float], t: float,
             motion: list[Box] | None) -> list[Tile]:
        rois = self.regions(width, height, scale)
        if motion is None or t - self._last_full >= self.recheck_s:
            self._last_full = t
            target = rois
        else:
            target = [r for roi in rois for m in motion if (r := intersect(roi, m)) is not None]
        return self.planner.plan(width, height, target)

    def carry(self, fresh: Detections, tiles: list[Tile], t: float) -> Detections:
        """This frame's detections, plus earlier ones from where no tile looked (image pixels)."""
        fresh = Detections(fresh.xyxy, fresh.confidence, fresh.class_id, fresh.tracker_id,
                           {CLASS_NAME: fresh.class_name, SEEN_AT: np.full(len(fresh), t)})
        old = self._carried
        if old is not None and len(old):
            centre = (old.xyxy[:, :2] + old.xyxy[:, 2:]) / 2
            looked = np.zeros(len(old), bool)
            for tile in tiles:
                looked |= (centre[:, 0] >= tile.x0) & (centre[:, 0] < tile.x1) & (centre[:, 1] >= tile.y0) & (
                    centre[:, 1] < tile.y1)
            recent = t - old.data[SEEN_AT] <= 2 * self.recheck_s + 1e-6
            fresh = Detections.merge([fresh, old[~looked & recent]])
        self._carried = fresh
        return fresh
