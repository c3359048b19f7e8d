"""Regions that have become static: the dual-background method of the abandoned-object literature
(Porikli et al. 2008; Lin et al., IEEE TIFS 2015), on downscaled frames.

Two background models learn at different speeds. A pixel that differs from the slow (long-term)
model but already matches the fast (short-term) one shows something that arrived and stopped:
a bag put down, a stool set out. Per pixel, a small state machine accumulates that evidence in
seconds of scene time, holds it while something passes in front (both models differ), and drops
it when the pixel shows the old background again (the object was taken away).

- Learning rates come from time constants and the real time between frames, so the method
  behaves the same at 2 fps live and at any rate offline.
- The long-term model learns only where the scene shows background: static objects are not
  absorbed for as long as they stay.
- A sudden change over most of the picture (lights switched, camera moved, picture spliced)
  resets both models instead of raising a region everywhere.
- Ghosts (background uncovered where an object stood when the models started) are recognised by
  their edges, which are in the background model and not in the picture, and are healed.

Regions are returned as `Detections` (class `static_object`) in the input image's pixels, with
`appeared_at` (when their pixels began to be static) and `motion` (share of the region's box
changing right now: something passing in front, or a stream of traffic that only looks static)
in `data`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .detections import Detections

Box = tuple[float, float, float, float]

STATIC_CLASS = "static_object"


@dataclass(frozen=True)
class StaticParams:
    work_width: int = 320  # analysis width; height follows the aspect ratio
    short_tau_s: float = 0.6  # short-term model: absorbs a stopped object within ~1 s
    long_tau_s: float = 120.0  # long-term model, where it sees background
    long_tau_foreground_s: float = 3600.0  # ... and under foreground (static objects are kept out)
    threshold: float = 20.0  # colour difference (0-255) that counts as a change, after blurring
    static_s: float = 1.0  # seconds of static evidence before a pixel is static
    min_area: float = 0.0008  # region size bounds, as fractions of the picture
    max_area: float = 0.25
    global_change: float = 0.45  # a change over this share of the picture in one step resets the models
    max_dt_s: float = 5.0  # gaps longer than this (a stalled camera) count as this long
    max_rate_hz: float = 2.5  # the models' time scales are seconds: faster frames only update motion


class StaticObjectDetector:
    def __init__(self, params: StaticParams | None = None):
        self.p = params or StaticParams()
        self._long: np.ndarray | None = None
        self._short: np.ndarray | None = None
        self._evidence: np.ndarray | None = None  # seconds of static evidence per pixel
        self._t: float | None = None
        self._size: tuple[int, int] | None = None  # (w, h) of the analysis frame
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._sway = np.ones((5, 5), np.uint8)  # tolerated camera sway: +-2 analysis pixels
        self._window: np.ndarray | None = None
        self.last_reset_at: float | None = None
        self.resets = 0
        self._moving: np.ndarray | None = None  # what changed against the short-term model, last frame
        self._regions_last = None

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        ww = min(self.p.work_width, w)
        wh = max(1, round(h * ww / w))
        small = cv2.resize(image, (ww, wh), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(small, (5, 5), 0).astype(np.float32)

    def reset(self, small: np.ndarray, t: float) -> None:
        self._long = small.copy()
        self._short = small.copy()
        self._evidence = np.zeros(small.shape[:2], np.float32)
        self._size = (small.shape[1], small.shape[0])
        self.last_reset_at = t

    def update(self, image: np.ndarray, t: float, hold: np.ndarray | None = None) -> Detections:
        """Feed one BGR frame taken at time `t` (seconds); returns the static regions.

        `hold`: boxes (image pixels) of people and vehicles. The long-term model does not learn
        under them: someone standing for a minute must not become background, or the floor they
        stood on would look new when they leave."""
        small = self._prepare(image)
        if self._long is None or (small.shape[1], small.shape[0]) != self._size:
            self.reset(small, t)
            self._t = t
            self._regions_last = _no_regions()
            return self._regions_last
        if t - self._t < 1.0 / self.p.max_rate_hz:
            # A camera analysed fast: what moved is still needed for every frame, the rest not.
            self._moving = _clean(_channel_max(cv2.absdiff(small, self._short)) > self.p.threshold, self._kernel)
            return self._regions_last
        dt = float(np.clip(t - self._t, 0.0, self.p.max_dt_s))
        self._t = t
        small = self._stabilise(small)

        # Exposure drifts (auto-iris, clouds) shift the whole picture a few levels: take the
        # typical offset out. A camera that sways a pixel or two moves every edge: compare with
        # the darkest and brightest background value near each pixel, not just the one under it.
        # (OpenCV rather than numpy for the per-pixel arithmetic: several times faster here)
        offset = np.median(small[::4, ::4] - self._long[::4, ::4], axis=(0, 1))
        level = cv2.subtract(small, (*(float(o) for o in offset), 0.0))
        lo, hi = cv2.erode(self._long, self._sway), cv2.dilate(self._long, self._sway)
        diff_long = _channel_max(cv2.max(cv2.subtract(lo, level), cv2.subtract(level, hi)))
        diff_short = _channel_max(cv2.absdiff(small, self._short))
        fg_long = _clean(diff_long > self.p.threshold, self._kernel)
        fg_short = _clean(diff_short > self.p.threshold, self._kernel)

        self._moving = fg_short
        if np.count_nonzero(fg_short) > self.p.global_change * fg_short.size:
            self.resets += 1
            self.reset(small, t)
            self._moving = np.ones_like(fg_short)  # everything changed: look everywhere
            self._regions_last = _no_regions()
            return self._regions_last

        # the state machine: static foreground accumulates, passing foreground holds, background drops
        static_now = fg_long & ~fg_short
        background = ~fg_long
        ev = self._evidence
        ev += np.where(static_now, np.float32(dt), np.float32(0.0))
        # the old background shows again: whatever stood there has gone (at once, not slowly, or a
        # person who stood a minute would leave a region behind for many seconds)
        np.copyto(ev, np.maximum(np.minimum(ev, self.p.static_s) - 2.0 * dt, 0.0), where=background)

        cv2.accumulateWeighted(small, self._short, 1.0 - np.exp(-dt / self.p.short_tau_s))
        held = np.zeros(small.shape[:2], bool)
        if hold is not None and len(hold):
            fx, fy = small.shape[1] / image.shape[1], small.shape[0] / image.shape[0]
            for x1, y1, x2, y2 in np.asarray(hold, np.float32):
                held[max(0, int(y1 * fy)):int(np.ceil(y2 * fy)), max(0, int(x1 * fx)):int(np.ceil(x2 * fx))] = True
        # the long-term model: fast where it sees background, slow under foreground, not at all under
        # people and vehicles
        for where, tau in ((~fg_long & ~held, self.p.long_tau_s), (fg_long & ~held, self.p.long_tau_foreground_s)):
            cv2.accumulateWeighted(small, self._long, 1.0 - np.exp(-dt / tau), mask=where.view(np.uint8))

        static = (ev >= self.p.static_s).astype(np.uint8)
        static = cv2.morphologyEx(static, cv2.MORPH_CLOSE, self._kernel, iterations=2)
        sx, sy = image.shape[1] / small.shape[1], image.shape[0] / small.shape[0]
        self._regions_last = self._regions(static, small, fg_short, held, sx, sy, t)
        return self._regions_last

    def _stabilise(self, small: np.ndarray) -> np.ndarray:
        """Undo a global shift of the picture against the long-term model (a swaying pole, a
        handheld recording), found by phase correlation. (At half the analysis size it costs a
        seventh, but finds spurious quarter-pixel shifts: more motion, more tiles.)"""
        ref = cv2.cvtColor(self._long, cv2.COLOR_BGR2GRAY)
        cur = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        if self._window is None or self._window.shape != ref.shape:
            self._window = cv2.createHanningWindow((ref.shape[1], ref.shape[0]), cv2.CV_32F)
        (dx, dy), response = cv2.phaseCorrelate(ref, cur, self._window)
        if response < 0.1 or (abs(dx) < 0.25 and abs(dy) < 0.25) or max(abs(dx), abs(dy)) > 0.1 * small.shape[1]:
            return small
        m = np.float32([[1, 0, -dx], [0, 1, -dy]])
        return cv2.warpAffine(small, m, (small.shape[1], small.shape[0]), borderMode=cv2.BORDER_REPLICATE)

    def _regions(
        self,
        static: np.ndarray,
        small: np.ndarray,
        moving: np.ndarray,
        held: np.ndarray,
        sx: float,
        sy: float,
        t: float,
    ) -> Detections:
        if not cv2.countNonZero(static):
            return _no_regions()
        n, labels, stats, _ = cv2.connectedComponentsWithStats(static, connectivity=8)
        area_total = static.shape[0] * static.shape[1]
        H, W = static.shape
        boxes, fill, appeared, motion = [], [], [], []
        for i in range(1, n):
            x, y, w, h, area = stats[i]
            if not (self.p.min_area * area_total <= area <= self.p.max_area * area_total):
                continue
            if min(w, h) < 4 or max(w, h) > 6 * min(w, h) or area < 0.3 * w * h:
                continue  # objects are blobs; lines and rims are edges that moved
            # work on the region's neighbourhood only
            x0, y0, x1, y1 = max(0, x - 4), max(0, y - 4), min(W, x + w + 4), min(H, y + h + 4)
            mask = labels[y0:y1, x0:x1] == i
            # (a person standing in front of a textured wall hides its edges too: not a ghost)
            if held[y0:y1, x0:x1][mask].mean() < 0.3 and self._is_ghost(
                mask, small[y0:y1, x0:x1], self._long[y0:y1, x0:x1]
            ):
                # background uncovered where something stood when the models started: heal it
                self._long[y0:y1, x0:x1][mask] = small[y0:y1, x0:x1][mask]
                self._evidence[y0:y1, x0:x1][mask] = 0.0
                continue
            boxes.append([x * sx, y * sy, (x + w) * sx, (y + h) * sy])
            fill.append(area / float(w * h))
            appeared.append(t - float(self._evidence[y0:y1, x0:x1][mask].max()))
            motion.append(np.count_nonzero(moving[y : y + h, x : x + w]) / float(w * h))
        if not boxes:
            return _no_regions()
        n = len(boxes)
        return Detections(
            np.array(boxes, np.float32), np.array(fill, np.float32), np.full(n, -1, np.int32),
            data={"class_name": np.full(n, STATIC_CLASS, dtype=object), "appeared_at": np.array(appeared),
                  "motion": np.array(motion, np.float32)},
        )

    def _is_ghost(self, mask: np.ndarray, now: np.ndarray, before: np.ndarray) -> bool:
        """A real object has its outline in the picture; a ghost has it in the background model.
        (Arguments are the region's neighbourhood: its mask, the picture, the long-term model.)"""
        m = mask.astype(np.uint8)
        ring = cv2.dilate(m, self._kernel, iterations=2).astype(bool) & ~cv2.erode(m, self._kernel).astype(bool)
        if np.count_nonzero(ring) < 8:
            return False
        return bool(_edges(now)[ring].mean() < 0.8 * _edges(before)[ring].mean())

    def motion_boxes(self, width: int, height: int, min_area: float = 0.0002) -> list[Box] | None:
        """Boxes (in an image of width x height) around what moved at the last update, of at least
        `min_area` of the picture; None before the models have a frame to compare with (then
        everything counts as moving)."""
        if self._moving is None:
            return None
        m = cv2.dilate(self._moving.astype(np.uint8), self._kernel, iterations=2)
        # outer contours give the same boxes as connected components, at a fifth of the cost
        contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        sx, sy = width / m.shape[1], height / m.shape[0]
        boxes = [cv2.boundingRect(c) for c in contours]
        return [(x * sx, y * sy, (x + w) * sx, (y + h) * sy) for x, y, w, h in boxes if w * h >= min_area * m.size]

    def background(self) -> np.ndarray | None:
        """The long-term background model (analysis size, float BGR), for views and checks."""
        return None if self._long is None else self._long.copy()

    def evidence(self) -> np.ndarray | None:
        """Seconds of static evidence per analysis pixel, for views and checks."""
        return None if self._evidence is None else self._evidence.copy()


def _channel_max(a: np.ndarray) -> np.ndarray:
    """Largest of the three colour channels (numpy's reduction over a short last axis is slow)."""
    return np.maximum(np.maximum(a[..., 0], a[..., 1]), a[..., 2])


def _clean(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)


def _edges(img: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return np.abs(gx) + np.abs(gy)


def _no_regions() -> Detections:
    return Detections.empty().with_data(
        class_name=np.zeros(0, object), appeared_at=np.zeros(0), motion=np.zeros(0, np.float32)
    )
