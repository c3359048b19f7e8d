"""Where to run the detector in a frame: square tiles at the model's input size over the zones
(only they matter) where something moves, so that small objects keep their pixels and the detector
spends nothing on sky, roofs and empty road.

A 720p frame shrunk to a 320 input loses every motorbike; a 320 tile cut from it at full
resolution keeps them. When the area to cover needs more tiles than allowed, the tiles grow (and
are shrunk to the input size) until they fit: fewer pixels per object, but a bounded cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .detections import TILE, Detections
from .matching import overlap

Box = tuple[float, float, float, float]

MILD_SHRINK = 0.75  # tiles shrunk no more than this are resized bilinearly


@dataclass(frozen=True)
class Tile:
    x0: int
    y0: int
    x1: int
    y1: int
    scale: float  # model input pixels per image pixel

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x0, self.y0, self.x1, self.y1

    def crop(self, image: np.ndarray, size: int) -> np.ndarray:
        """The tile as a size x size model input (a view when no resizing is needed)."""
        region = image[self.y0 : self.y1, self.x0 : self.x1]
        h, w = region.shape[:2]
        if self.scale != 1.0:
            # a slight shrink (a tile that saves a neighbour) needs no averaging, and bilinear costs a
            # sixth of INTER_AREA at these scales; larger shrinks average, or fine detail aliases
            interpolation = cv2.INTER_LINEAR if self.scale >= MILD_SHRINK else cv2.INTER_AREA
            region = cv2.resize(region, (max(1, round(w * self.scale)), max(1, round(h * self.scale))),
                                interpolation=interpolation)
            h, w = region.shape[:2]
        if (h, w) == (size, size):
            return region
        out = np.full((size, size, 3), 114, np.uint8)  # Ultralytics' letterbox grey
        out[: min(h, size), : min(w, size)] = region[:size, :size]
        return out

    def to_image(self, d: Detections) -> Detections:
        """Detections in tile-input pixels to image pixels."""
        xyxy = d.xyxy / self.scale + np.array([self.x0, self.y0, self.x0, self.y0], np.float32)
        return Detections(xyxy, d.confidence, d.class_id, d.tracker_id, d.data)


def merge_boxes(boxes: list[Box]) -> list[Box]:
    """Unions of overlapping boxes (repeated until none overlap)."""
    out = [list(b) for b in boxes]
    changed = True
    while changed:
        changed = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                if a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]:
                    out[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    del out[j]
                    changed = True
                    break
            if changed:
                break
    return [tuple(b) for b in out]


def intersect(a, b):
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


class TilePlanner:
    def __init__(self, size: int = 320, max_tiles: int = 4, overlap_frac: float = 0.2):
        self.size = size
        self.max_tiles = max_tiles
        self.overlap = round(size * overlap_frac)  # objects cut by one tile are whole in its neighbour

    def _tiles_for(self, box, width: int, height: int, side: int, scale: float) -> list[Tile]:
        x0, y0, x1, y1 = box
        step = max(1, side - round(self.overlap / scale))

        def starts(lo, hi, limit):
            span = hi - lo
            if span <= side or limit <= side:
                c = (lo + hi) / 2 - side / 2
                return [int(max(0, min(c, limit - side)))]
            n = math.ceil((span - side) / step) + 1
            first, last = lo, hi - side
            return [int(max(0, min(round(first + k * (last - first) / (n - 1)), limit - side))) for k in range(n)]

        return [Tile(x, y, min(width, x + side), min(height, y + side), scale)
                for y in starts(y0, y1, height) for x in starts(x0, x1, width)]

    def plan(self, width: int, height: int, regions: list[Box]) -> list[Tile]:
        """Tiles covering `regions` (image pixels): at full resolution, or a little shrunk (down
        to 80 %) when that saves a tile; beyond `max_tiles`, larger tiles shrunk further. A frame
        smaller than a tile (a 320x240 substream) is one tile, enlarged to the input size: the
        detector finds small objects better at the scale it was trained at, for the same cost."""
        if max(width, height) < self.size:
            return [] if not regions else self.whole(width, height)
        boxes = []
        for r in merge_boxes(regions):
            clipped = intersect(r, (0, 0, width, height))
            if clipped is not None:
                boxes.append(clipped)
        if not boxes:
            return []

        hull = [(min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                 max(b[3] for b in boxes))]

        def cover(scale: float) -> list[Tile]:
            """Tiles for each box, or for the hull of them all if that takes fewer (scattered
            movers: one tile each would overlap)."""
            side = min(max(width, height), math.ceil(self.size / scale))
            each = list(dict.fromkeys(t for b in boxes for t in self._tiles_for(b, width, height, side, scale)))
            whole = self._tiles_for(hull[0], width, height, side, scale)
            return whole if len(whole) <= len(each) else each

        # e.g. a 640-wide zone: three 320 tiles with their overlap, or two 352 tiles shrunk to 320
        tiles = min((cover(s) for s in (1.0, 0.9, 0.8)), key=len)
        scale = tiles[0].scale
        while len(tiles) > self.max_tiles and max(t.x1 - t.x0 for t in tiles) < max(width, height):
            scale *= 0.8
            tiles = cover(scale)
        return tiles

    def whole(self, width: int, height: int) -> list[Tile]:
        """The whole frame as one tile (whole-frame detection)."""
        scale = self.size / max(width, height)
        return [Tile(0, 0, width, height, scale)]


def merge_tiles(parts: list[Detections], min_overlap: float = 0.5) -> Detections:
    """One object seen by two overlapping tiles (whole in one, cut in the other) becomes one box:
    boxes of the same class from different tiles that overlap by `min_overlap` of the smaller one
    are merged into their union, keeping the best confidence. Boxes within one tile were already
    separated by the model's own NMS and are left alone."""
    for i, p in enumerate(parts):
        parts[i] = p.with_data(**{TILE: np.full(len(p), i, np.int32)})
    d = Detections.merge(parts)
    if len(d) < 2 or len(parts) < 2:
        return d
    order = np.argsort(-d.confidence)
    d = d[order]
    _, iomin = overlap(d.xyxy, d.xyxy)
    same = (d.class_id[:, None] == d.class_id[None, :]) & (d.data[TILE][:, None] != d.data[TILE][None, :])
    absorbed = np.zeros(len(d), bool)
    xyxy = d.xyxy.copy()
    for i in range(len(d)):
        if absorbed[i]:
            continue
        for j in np.nonzero(same[i] & (iomin[i] >= min_overlap) & ~absorbed)[0]:
            if j <= i:
                continue
            absorbed[j] = True
            xyxy[i, :2] = np.minimum(xyxy[i, :2], xyxy[j, :2])
            xyxy[i, 2:] = np.maximum(xyxy[i, 2:], xyxy[j, 2:])
    kept = d.with_data()
    kept = Detections(xyxy, kept.confidence, kept.class_id, kept.tracker_id, kept.data)
    return kept[~absorbed]
