"""Regions that have become static: the dual-background method of the abandoned-object literature
(Porikli et al. 2008; Lin et al., IEEE TIFS 2015), on frames of at most `work_width` pixels.

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
  resets both models instead of raising a region everywhere; a slow one (dusk, clouds, the
  auto-iris) is taken out as a gain and an offset per colour.

A static blob is not yet an object. Each one is explained before it becomes a region:
- people and vehicles standing still: their pixels (the `hold` boxes) are cut out, so that a
  suitcase beside its owner is the suitcase alone;
- several objects: pixels that became static at different times (a second bag put down against
  the first) are different objects; thin bridges (lines, box outlines) are opened;
- lighting, shadow or a background change: the picture kept the background's texture;
- a ghost (background uncovered where an object stood when the models started): its outline is
  in the background model, not in the picture. Ghosts and lighting changes are healed.
`rejected` counts what each explanation removed, for measuring them.

Regions are returned as `Detections` (class `static_object`) in the input image's pixels, with
`appeared_at` (when their pixels began to be static) and `motion` (share of the region's box
changing right now: something passing in front, or a stream of traffic that only looks static)
in `data`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np

from .detections import APPEARED_AT, CLASS_NAME, MOTION, STATIC_REGIONS, Detections

Box = tuple[float, float, float, float]

STATIC_CLASS = "static_object"

# Thresholds of the stage's judgements (pixels are analysis pixels, levels 0-255).
GAIN_BIAS = 8.0  # added to both sides of a gain ratio: dark pixels say little about gain
GAIN_UNCHANGED = 0.02  # a global gain within this of 1 is no change of light
OFFSET_UNCHANGED = 1.0  # ... nor an offset under one level
SHAKE_RESPONSE = 0.1  # a phase-correlation peak weaker than this is no shift of the whole picture
SHAKE_MIN_PX = 0.75  # shifts under 3/4 of a pixel are left to the sway tolerance
SHAKE_MAX = 0.1  # a shift over a tenth of the width is a scene change, not a shake
BLOB_MIN_PX = 3  # objects are blobs: a part thinner than this ...
BLOB_MAX_ASPECT = 6  # ... or longer than this times its width ...
BLOB_MIN_FILL = 0.3  # ... or filling less of its box is an edge that moved (a line, a rim)
GHOST_HELD = 0.3  # a region mostly free of people and vehicles held over it may be a ghost
GHOST_EDGES = 0.8  # a ghost's outline is weaker in the picture than in the background model
TEXTURE_MIN_PX, TEXTURE_MIN_STD = 16, 4.0  # texture enough to tell light from an object
_REBASE_S = 3600.0  # how long the per-pixel times count from one epoch
EXPLANATIONS = ("holders", "split", "lighting", "ghosts")


@dataclass(frozen=True)
class StaticParams:
    work_width: int = 640  # analysis width at most; smaller frames are analysed as they are
    short_tau_s: float = 0.6  # short-term model: absorbs a stopped object within ~1 s
    long_tau_s: float = 120.0  # long-term model, where it sees background
    long_tau_foreground_s: float = 3600.0  # ... and under foreground (static objects are kept out)
    threshold: float = 20.0  # colour difference (0-255) that counts as a change, after blurring
    static_s: float = 1.0  # seconds of static evidence before a pixel is static
    min_area_px: int = 16  # smallest object, in analysis pixels (a 4 x 4 blob)
    max_area: float = 0.25  # largest, as a share of the picture
    global_change: float = 0.45  # a change over this share of the picture in one step resets the models
    max_dt_s: float = 5.0  # gaps longer than this (a stalled camera) count as this long
    max_rate_hz: float = 2.5  # the models' time scales are seconds: faster frames only update motion
    split_s: float = 1.5  # pixels that became static this much apart belong to different objects
    lighting_ncc: float = 0.75  # texture this similar to the background's: light or shadow, not an object
    # the explanations a blob gets before it is an object, each switchable to measure its effect:
    # holders (people's and vehicles' pixels cut out), split (by onset), lighting, ghosts
    explanations: frozenset[str] = frozenset(EXPLANATIONS)


class StaticObjectDetector:
    def __init__(self, params: StaticParams | None = None):
        self.p = params or StaticParams()
        self._long: np.ndarray | None = None  # float32 BGR
        self._short: np.ndarray | None = None
        self._evidence: np.ndarray | None = None  # seconds of static evidence per pixel
        # when each pixel last showed its background, steadily: seconds after `_epoch`. Relative,
        # because float32 of a wall-clock time (1.8e9 s) is only good to 128 s.
        self._onset: np.ndarray | None = None
        self._epoch = 0.0
        self._t: float | None = None
        self._size: tuple[int, int] | None = None  # (w, h) of the analysis frame
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._sway = np.ones((5, 5), np.uint8)  # tolerated camera sway: +-2 analysis pixels
        self._window: np.ndarray | None = None
        self.last_reset_at: float | None = None
        self.resets = 0
        self.rejected: Counter = Counter()  # regions each explanation removed
        self._moving: np.ndarray | None = None  # what changed against the short-term model, last frame
        self._regions_last = None
        self._known: dict[tuple, list] = {}  # blob (x, y, w, h, area) -> its objects, last update

    def _prepare(self, image: np.ndarray, frame_width: int | None) -> np.ndarray:
        """Shrunk as the whole frame would be to `work_width` (a part of the frame keeps the
        frame's scale: objects and compression blocks look the same size whatever part is
        watched), and blurred."""
        h, w = image.shape[:2]
        f = self.p.work_width / max(w, frame_width or w)
        if f < 1.0:
            image = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(image, (5, 5), 0)

    def reset(self, small: np.ndarray, t: float) -> None:
        self._long = small.astype(np.float32)
        self._long8 = small.copy()
        self._short = small.copy()
        self._evidence = np.zeros(small.shape[:2], np.float32)
        self._onset = np.zeros(small.shape[:2], np.float32)
        self._epoch = t
        self._size = (small.shape[1], small.shape[0])
        self.last_reset_at = t

    def update(self, image: np.ndarray, t: float, hold: np.ndarray | None = None,
               frame_width: int | None = None) -> Detections:
        """Feed one BGR frame taken at time `t` (seconds); returns the static regions.

        `hold`: boxes (image pixels) of people and vehicles. The long-term model does not learn
        under them (someone standing for a minute must not become background, or the floor they
        stood on would look new when they leave), and their pixels are not objects.
        `frame_width`: when `image` is a part of a frame, that frame's width (see `_prepare`).

        Per pixel the work is 8-bit OpenCV calls with masks (a frame of 640x360 in ~5 ms here);
        only the long-term model and the per-pixel times are kept as floats."""
        small = self._prepare(image, frame_width)
        if self._long is None or (small.shape[1], small.shape[0]) != self._size:
            self.reset(small, t)
            self._t = t
            self._regions_last = _no_regions()
            return self._regions_last
        if t - self._t < 1.0 / self.p.max_rate_hz:
            # A camera analysed fast: what moved is still needed for every frame, the rest not.
            self._moving = self._changed(small, self._short)
            return self._regions_last
        dt = float(np.clip(t - self._t, 0.0, self.p.max_dt_s))
        self._t = t
        small = self._stabilise(small)

        # Exposure drifts (auto-iris, clouds, dusk) scale and shift the whole picture: take the
        # typical gain and offset per colour out. A camera that sways a pixel or two moves every
        # edge: compare with the darkest and brightest background value near each pixel, not just
        # the one under it.
        level = self._level(small)
        lo, hi = cv2.erode(self._long8, self._sway), cv2.dilate(self._long8, self._sway)
        fg_long = _mask(_channel_max(cv2.max(cv2.subtract(lo, level), cv2.subtract(level, hi))),
                        self.p.threshold, self._kernel)
        fg_short = self._changed(small, self._short)

        self._moving = fg_short
        if cv2.countNonZero(fg_short) > self.p.global_change * fg_short.size:
            self.resets += 1
            self.reset(small, t)
            self._moving = np.full_like(fg_short, 255)  # everything changed: look everywhere
            self._regions_last = _no_regions()
            return self._regions_last

        # the state machine: static foreground accumulates, passing foreground holds, background drops
        held = self._held(hold, image.shape, small.shape)
        still = cv2.bitwise_not(fg_short)
        static_now = cv2.bitwise_and(fg_long, still)
        # the old background shows again, and steadily: whatever stood there has gone (at once, not
        # slowly, or a person who stood a minute would leave a region behind for many seconds). Not
        # while something moves over it or someone stands on it: grey trousers over a grey floor
        # would otherwise wipe out the bag they pass
        free = cv2.bitwise_not(held)
        learn_bg = cv2.bitwise_and(cv2.bitwise_not(fg_long), free)
        background = cv2.bitwise_and(learn_bg, still)
        ev = self._evidence
        cv2.add(ev, dt, dst=ev, mask=static_now)
        cv2.copyTo(cv2.max(cv2.subtract(cv2.min(ev, self.p.static_s), 2.0 * dt), 0.0), background, ev)
        onset = self._onset
        if t - self._epoch > _REBASE_S:  # keep the relative times small (float32 keeps ms for hours)
            onset -= np.float32(t - self._epoch)
            self._epoch = t
        cv2.subtract(onset, onset, dst=onset, mask=background)
        cv2.add(onset, t - self._epoch, dst=onset, mask=background)

        a = 1.0 - np.exp(-dt / self.p.short_tau_s)
        cv2.addWeighted(small, a, self._short, 1.0 - a, 0.0, dst=self._short)
        # the long-term model: fast where it sees background, slow under foreground, not at all under
        # people and vehicles
        learn_fg = cv2.bitwise_and(fg_long, free)
        for where, tau in ((learn_bg, self.p.long_tau_s), (learn_fg, self.p.long_tau_foreground_s)):
            cv2.accumulateWeighted(level, self._long, 1.0 - np.exp(-dt / tau), mask=where)
        self._long8 = cv2.convertScaleAbs(self._long)

        static = cv2.compare(ev, self.p.static_s, cv2.CMP_GE)
        if "holders" in self.p.explanations:
            static = cv2.bitwise_and(static, free)
        static = cv2.morphologyEx(static, cv2.MORPH_OPEN, self._kernel)
        sx, sy = image.shape[1] / small.shape[1], image.shape[0] / small.shape[0]
        self._regions_last = self._regions(static, level, fg_short, held, sx, sy, t)
        return self._regions_last

    def _changed(self, small: np.ndarray, model: np.ndarray) -> np.ndarray:
        """Where the picture differs from a model (255), after opening away single pixels."""
        return _mask(_channel_max(cv2.absdiff(small, model)), self.p.threshold, self._kernel)

    def _level(self, small: np.ndarray) -> np.ndarray:
        """The picture with the global gain and offset against the long-term model taken out."""
        a = small[::8, ::8].reshape(-1, 3).astype(np.float32)
        b = self._long8[::8, ::8].reshape(-1, 3).astype(np.float32)
        gain = np.median((a + GAIN_BIAS) / (b + GAIN_BIAS), axis=0)
        if np.all(np.abs(gain - 1.0) < GAIN_UNCHANGED):
            gain = np.ones(3)
        offset = np.median(a / gain - b, axis=0)
        if np.all(gain == 1.0) and np.all(np.abs(offset) < OFFSET_UNCHANGED):
            return small
        m = np.zeros((3, 4), np.float32)
        m[[0, 1, 2], [0, 1, 2]] = 1.0 / gain
        m[:, 3] = -offset
        return cv2.transform(small, m)

    def _held(self, hold: np.ndarray | None, image_shape, small_shape) -> np.ndarray:
        held = np.zeros(small_shape[:2], np.uint8)
        if hold is not None and len(hold):
            fx, fy = small_shape[1] / image_shape[1], small_shape[0] / image_shape[0]
            for x1, y1, x2, y2 in np.asarray(hold, np.float32):
                a, b = max(0, int(x1 * fx)), max(0, int(y1 * fy))  # boxes may reach outside the picture
                c, d = max(0, int(np.ceil(x2 * fx))), max(0, int(np.ceil(y2 * fy)))
                held[b:d, a:c] = 255
        return held

    def _stabilise(self, small: np.ndarray) -> np.ndarray:
        """Undo a global shift of the picture against the long-term model (a swaying pole, a
        handheld recording), found by phase correlation at half the analysis size (a tenth of
        the cost); shifts under 3/4 of a pixel are left to the sway tolerance."""
        h, w = small.shape[:2]
        half = (max(1, w // 2), max(1, h // 2))
        ref = cv2.resize(cv2.cvtColor(self._long8, cv2.COLOR_BGR2GRAY), half, interpolation=cv2.INTER_AREA)
        cur = cv2.resize(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), half, interpolation=cv2.INTER_AREA)
        if self._window is None or self._window.shape != ref.shape:
            self._window = cv2.createHanningWindow(half, cv2.CV_32F)
        (dx, dy), response = cv2.phaseCorrelate(ref.astype(np.float32), cur.astype(np.float32), self._window)
        dx, dy = 2 * dx, 2 * dy
        if response < SHAKE_RESPONSE or (abs(dx) < SHAKE_MIN_PX and abs(dy) < SHAKE_MIN_PX) \
                or max(abs(dx), abs(dy)) > SHAKE_MAX * w:
            return small
        m = np.float32([[1, 0, -dx], [0, 1, -dy]])
        return cv2.warpAffine(small, m, (w, h), borderMode=cv2.BORDER_REPLICATE)

    def _parts(self, mask: np.ndarray, since: np.ndarray, x0: int, y0: int):
        """A blob (its mask in a neighbourhood at x0, y0) split into the parts that became static
        at different times: (x, y, w, h, area, mask of the neighbourhood)."""
        cuts = _time_cuts(since[mask], self.p.split_s) if "split" in self.p.explanations else []
        if not cuts:
            ys, xs = np.nonzero(mask)
            x, y = int(xs.min()), int(ys.min())
            yield x0 + x, y0 + y, int(xs.max()) - x + 1, int(ys.max()) - y + 1, len(xs), mask
            return
        self.rejected["split"] += 1
        group = np.digitize(since, cuts)
        for g in range(len(cuts) + 1):
            part = (mask & (group == g)).view(np.uint8)
            m, plab, pstats, _ = cv2.connectedComponentsWithStats(part, connectivity=4)
            for j in range(1, m):
                px, py, pw, ph, parea = pstats[j]
                if parea >= self.p.min_area_px:
                    yield x0 + px, y0 + py, pw, ph, parea, plab == j

    def _objects(self, i: int, labels: np.ndarray, stat, level: np.ndarray, held: np.ndarray, t: float):
        """The objects in blob `i`, each explained first: (x, y, w, h, fill, appeared_at) in
        analysis pixels. People, vehicles, lighting and ghosts are not objects (the last two are
        healed into the background)."""
        x, y, w, h, _ = stat
        H, W = labels.shape
        x0, y0, x1, y1 = max(0, x - 4), max(0, y - 4), min(W, x + w + 4), min(H, y + h + 4)
        blob = labels[y0:y1, x0:x1] == i
        now, before = level[y0:y1, x0:x1], self._long8[y0:y1, x0:x1]
        out = []
        for x, y, w, h, area, mask in self._parts(blob, self._onset[y0:y1, x0:x1], x0, y0):
            if min(w, h) < BLOB_MIN_PX or max(w, h) > BLOB_MAX_ASPECT * min(w, h) or area < BLOB_MIN_FILL * w * h:
                continue  # objects are blobs; lines and rims are edges that moved
            onset = self._onset[y0:y1, x0:x1][mask]
            explained = None
            if "ghosts" in self.p.explanations and np.median(onset) <= self.last_reset_at - self._epoch + 0.01:
                # different from the background ever since the models started: what was there at
                # the start has gone (the models know no other picture of the place)
                explained = "ghost"
            elif "lighting" in self.p.explanations and _same_texture(mask, now, before, self.p.lighting_ncc):
                explained = "lighting"
            # (a person standing in front of a textured wall hides its edges too: not a ghost)
            elif ("ghosts" in self.p.explanations and (held[y0:y1, x0:x1][mask] > 0).mean() < GHOST_HELD
                  and self._is_ghost(mask, now, before)):
                explained = "ghost"
            if explained:
                # the background itself changed (or showed again): learn it now
                self.rejected[explained] += 1
                self._long[y0:y1, x0:x1][mask] = now[mask]
                self._long8[y0:y1, x0:x1][mask] = now[mask]
                self._evidence[y0:y1, x0:x1][mask] = 0.0
                self._onset[y0:y1, x0:x1][mask] = t - self._epoch
                continue
            out.append((x, y, w, h, area / float(w * h), self._epoch + float(np.percentile(onset, 10))))
        return out

    def _regions(
        self,
        static: np.ndarray,
        level: np.ndarray,
        moving: np.ndarray,
        held: np.ndarray,
        sx: float,
        sy: float,
        t: float,
    ) -> Detections:
        """The objects among the static pixels. A blob exactly as it was at the last update (same
        box and pixel count) has the same pixels, onsets and explanation: its objects are reused,
        which is most blobs in a still scene."""
        if not cv2.countNonZero(static):
            self._known = {}
            return _no_regions()
        n, labels, stats, _ = cv2.connectedComponentsWithStats(static, connectivity=8)
        total = static.shape[0] * static.shape[1]
        known, found = {}, []
        for i in range(1, n):
            if not (self.p.min_area_px <= stats[i, 4] <= self.p.max_area * total):
                continue
            key = tuple(int(v) for v in stats[i])
            objects = self._known.get(key)
            if objects is None:
                objects = self._objects(i, labels, stats[i], level, held, t)
            known[key] = objects
            found += objects
        self._known = known
        if not found:
            return _no_regions()
        n = len(found)
        boxes = np.array([[x * sx, y * sy, (x + w) * sx, (y + h) * sy] for x, y, w, h, _, _ in found], np.float32)
        motion = [cv2.countNonZero(moving[y : y + h, x : x + w]) / float(w * h) for x, y, w, h, _, _ in found]
        return Detections(
            boxes, np.array([f[4] for f in found], np.float32), np.full(n, -1, np.int32),
            data={CLASS_NAME: np.full(n, STATIC_CLASS, dtype=object), APPEARED_AT: np.array([f[5] for f in found]),
                  MOTION: np.array(motion, np.float32)},
        )

    def _is_ghost(self, mask: np.ndarray, now: np.ndarray, before: np.ndarray) -> bool:
        """A real object has its outline in the picture; a ghost has it in the background model.
        (Arguments are the region's neighbourhood: its mask, the picture, the long-term model.)"""
        m = mask.astype(np.uint8)
        ring = cv2.dilate(m, self._kernel, iterations=2).astype(bool) & ~cv2.erode(m, self._kernel).astype(bool)
        if np.count_nonzero(ring) < 8:
            return False
        return bool(_edges(now)[ring].mean() < GHOST_EDGES * _edges(before)[ring].mean())

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


def _time_cuts(since: np.ndarray, split_s: float, bin_s: float = 0.25) -> list[float]:
    """Times that separate the groups of a blob's pixels by when they became static: the
    emptiest point of the histogram between two peaks at least `split_s` apart (a second bag put
    down against the first), where it holds under a third of the lower peak. A blob's spread
    alone (parts of one object hidden for a while) has no such valley and is not cut."""
    lo, hi = float(since.min()), float(since.max())
    if hi - lo <= split_s:
        return []
    hist, edges = np.histogram(since, bins=max(2, int(np.ceil((hi - lo) / bin_s))), range=(lo, hi + 1e-6))
    hist = np.convolve(hist.astype(np.float32), np.array([1, 2, 1], np.float32) / 4, mode="same")
    centres = (edges[:-1] + edges[1:]) / 2
    cuts: list[float] = []
    # walk the histogram: a cut where the density falls below a third of the peaks on both sides
    peaks = [i for i in range(len(hist)) if hist[i] > 0 and hist[i] >= hist[max(0, i - 1)]
             and hist[i] >= hist[min(len(hist) - 1, i + 1)]]
    kept = [peaks[0]] if peaks else []
    for i in peaks[1:]:
        a = kept[-1]
        valley = a + int(np.argmin(hist[a : i + 1]))
        if centres[i] - centres[a] >= split_s and hist[valley] < min(hist[a], hist[i]) / 3:
            cuts.append(float(centres[valley]))
            kept.append(i)
        elif hist[i] > hist[a]:
            kept[-1] = i
    return cuts


def _same_texture(mask: np.ndarray, now: np.ndarray, before: np.ndarray, min_ncc: float) -> bool:
    """The background's texture still shows through, brighter or darker: light or shadow. Needs
    texture to tell (on a plain floor a dark bag and a shadow look alike: not judged)."""
    a = cv2.cvtColor(now, cv2.COLOR_BGR2GRAY)[mask]
    b = cv2.cvtColor(before, cv2.COLOR_BGR2GRAY)[mask]
    if len(a) < TEXTURE_MIN_PX or b.std() < TEXTURE_MIN_STD:
        return False
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return den > 1e-6 and float((a * b).sum()) / den >= min_ncc


def _channel_max(a: np.ndarray) -> np.ndarray:
    """Largest of the three colour channels of an 8-bit picture: a 1x3 dilation over the
    interleaved channels (a sixth of numpy's cost here)."""
    h, w = a.shape[:2]
    return np.ascontiguousarray(cv2.dilate(a.reshape(h, w * 3), _ROW3)[:, 1::3])


_ROW3 = np.ones((1, 3), np.uint8)


def _mask(diff: np.ndarray, threshold: float, kernel: np.ndarray) -> np.ndarray:
    """255 where `diff` exceeds `threshold`, single pixels and hairlines opened away."""
    return cv2.morphologyEx(cv2.compare(diff, threshold, cv2.CMP_GT), cv2.MORPH_OPEN, kernel)


def _edges(img: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return np.abs(gx) + np.abs(gy)


def _no_regions() -> Detections:
    return Detections.empty(STATIC_REGIONS)
