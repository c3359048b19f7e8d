"""Camera tampering: a view that is covered, out of focus, moved or frozen while the stream still
delivers. Such a camera watches nothing while its health says online, so each is a camera problem
of its own, raised and ended here, frame by frame.

Every judgement is against a *reference* of the scene, learned slowly while the view is normal
and never while something is amiss (so that a slow onset is not learned). All work is on small
grey thumbnails (`THUMB_WIDTH` and `DETAIL_WIDTH` pixels wide): 0.4 ms a 640x360 frame, 0.7 ms a
1280x720 one on this project's 2-core VM, as it runs on every analysed frame of every camera.

- covered: most of the picture is flat and of one brightness (a hand, a bag, paint, a cap),
  where the reference had texture;
- defocused: the picture's fine detail, taken relative to its contrast so that light does not
  change it, collapsed against the reference's;
- moved: the picture's edges no longer lie where the reference's lie (a turned camera: its zones
  would be wrong), while it is sharp and uncovered enough to tell;
- frozen: consecutive analysed frames identical but for encoding noise.

A condition must hold for a minimum time before it is raised (a bus filling the view, a flash of
headlights, rain on the lens for a moment) and its opposite for a while before it ends (hysteresis).
A sudden change of the whole picture's brightness that leaves it textured (lights switched, a
camera's day/night switch, a day-to-night cut of a recording) is light, not tampering: the
reference is learned again from the new view. A camera turned at the same moment as its light
changes that much is therefore taken for light: a limit of a reference that must follow light.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import cv2
import numpy as np

THUMB_WIDTH = 160  # pixels across the thumbnail most measures work on
DETAIL_WIDTH = 320  # ... and across the one fine detail is measured on (defocus at 160 is a few pixels)
BLOCK = 10  # thumbnail pixels per block side for the flat-area measure (16 x 9 blocks at 16:9)

# --- the reference
REF_TAU_S = 20.0  # time constant of the reference: slow, so that a passing bus is not learned ...
WARMUP_S = 3.0  # ... but a fresh reference (start, accepted view, light change) needs seconds only
REF_PICTURE_EVERY_S = 10.0  # the "before" picture kept for the record is at most this old at an onset
GAP_S = 10.0  # frames further apart than this (an outage) restart the clocks of pending conditions

# --- covered
FLAT_GRAD = 2.0  # a block whose mean gradient is under this (levels per pixel) has no texture
COVERED_FLAT = 0.8  # covered: at least this share of the picture is flat ...
COVERED_UNIFORM = 12.0  # ... and its flat part of one brightness (std of block means, levels): a cover
COVERED_TEXTURE_LOST = 0.4  # ... and at least this share more of the picture is flat than in the reference
UNCOVERED_FLAT = 0.6  # ends once the flat share is back under this (hysteresis)

# --- defocused
DEFOCUS_RATIO = 0.45  # fine detail (relative to contrast) under this share of the reference's: defocused
FOCUSED_RATIO = 0.7  # ends once it is back over this share (hysteresis: no flapping around one value)

# --- moved
MOVED_SIM = 0.35  # edge maps correlating under this with the reference's: the view moved ...
MOVED_MIN_SHARP = 0.6  # ... judged only on a picture this sharp against the reference (blur also loses edges)
MOVED_SHIFT = 0.03  # ... or the whole picture shifted by this share of its width (a pan); a shake is less
SHIFT_RESPONSE = 0.15  # a phase-correlation peak weaker than this is no shift of the whole picture
RETURNED_SIM = 0.55  # the view has returned once its edges correlate over this again (and it is not shifted)
EDGE_BLUR = 1.0  # sigma (thumbnail pixels) the edge maps are blurred by: a shake of a pixel is no move

# --- frozen
FROZEN_MAX_CHANGE = 1.3  # levels: consecutive frames whose difference, averaged over 3x3 thumbnail
#   pixels, is nowhere larger are one picture repeated. Re-encoding a repeated picture leaves noise
#   that averages out (at most 1.1 measured on 4 shared clips frozen and re-encoded, a keyframe a
#   second); the stillest live scene moves somewhere by more (1.44 at least: people standing indoors)

# --- light
LIGHT_CUT = math.log(1.6)  # the whole picture 1.6 times brighter or darker at once: light switched
LIGHT_SETTLE_S = 1.5  # ... and so for this long: the reference is learned again from the new view

# --- how long each condition must hold before it is raised, and its end before it ends
ONSET_S = {"covered": 4.0, "defocused": 5.0, "moved": 5.0, "frozen": 5.0}
END_S = {"covered": 2.0, "defocused": 3.0, "moved": 3.0, "frozen": 1.0}
# a condition missing for at most this long (a frame or two: a car passing in front) does not restart
# its clock; a frozen picture is frozen on every frame
LAPSE_S = {"covered": 1.0, "defocused": 1.0, "moved": 1.0, "frozen": 0.0}


class Tamper(StrEnum):
    COVERED = "covered"
    DEFOCUSED = "defocused"
    MOVED = "moved"
    FROZEN = "frozen"


@dataclass(frozen=True)
class TamperChange:
    kind: Tamper
    change: Literal["started", "ended"]
    t: float  # started: when the condition began to hold; ended: when the view returned
    reason: str | None = None  # ended: "view_returned" or "accepted"
    measures: dict = field(default_factory=dict)  # the frame's measures, for the record


@dataclass(frozen=True)
class TamperResult:
    active: frozenset[Tamper]
    changes: tuple[TamperChange, ...]
    measures: dict  # this frame's measures (only frame_diff before there is a reference)

    @property
    def rules_paused(self) -> bool:
        """A moved camera's zones are wrong: its rules wait for the view to return or be accepted."""
        return Tamper.MOVED in self.active


@dataclass
class _Condition:
    """One kind's hysteresis: raised after its condition held ONSET_S, ended after its opposite held END_S."""

    kind: Tamper
    active: bool = False
    since: float | None = None  # the condition (or, while active, its end) has held since
    missing: float | None = None  # ... and has been missing since (a lapse)

    def step(self, t: float, on: bool, off: bool) -> tuple[Literal["started", "ended"], float] | None:
        """A change and when its condition began to hold, or None."""
        holds = off if self.active else on
        if holds:
            self.since = t if self.since is None else self.since
            self.missing = None
        else:
            self.missing = t if self.missing is None else self.missing
            if t - self.missing >= LAPSE_S[self.kind]:
                self.since = None
        if self.since is None or t - self.since < (END_S if self.active else ONSET_S)[self.kind]:
            return None
        self.active, since = not self.active, self.since
        self.since = self.missing = None
        return ("started" if self.active else "ended"), since

    @property
    def pending(self) -> bool:
        return not self.active and self.since is not None

    def clear_pending(self) -> None:
        if not self.active:
            self.since = self.missing = None


@dataclass
class _Reference:
    grey: np.ndarray  # float32 thumbnail
    edges: np.ndarray  # blurred gradient magnitude
    detail: float
    flat: float  # share of flat blocks
    frames: int = 1
    started: float = 0.0


@dataclass(frozen=True)
class _View:
    """One frame's measures that do not need the reference."""

    grey: np.ndarray  # THUMB_WIDTH wide, float32
    edges: np.ndarray  # its gradient magnitude, blurred by EDGE_BLUR
    flat: np.ndarray  # per block: no texture
    block_grey: np.ndarray  # per block: mean brightness
    detail: float


def thumbnails(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grey float32 pictures DETAIL_WIDTH and THUMB_WIDTH wide (or as wide as the image, if less)."""
    h, w = image.shape[:2]
    if w > 2 * DETAIL_WIDTH:  # picked pixels first: averaging a 1280-wide picture down costs 0.7 ms, this 0.1
        h, w = max(4 * BLOCK, round(h * 2 * DETAIL_WIDTH / w)), 2 * DETAIL_WIDTH
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_NEAREST)
    fine = image
    if w > DETAIL_WIDTH:
        fine = cv2.resize(image, (DETAIL_WIDTH, max(2 * BLOCK, round(h * DETAIL_WIDTH / w))),
                          interpolation=cv2.INTER_AREA)
    if fine.ndim == 3:
        fine = cv2.cvtColor(fine, cv2.COLOR_BGR2GRAY)
    fine = fine.astype(np.float32)
    fh, fw = fine.shape
    grey = fine
    if fw > THUMB_WIDTH:
        grey = cv2.resize(fine, (THUMB_WIDTH, max(BLOCK, round(fh * THUMB_WIDTH / fw))), interpolation=cv2.INTER_AREA)
    return fine, grey


def _view(image: np.ndarray) -> _View:
    fine, grey = thumbnails(image)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    gradient = (np.abs(gx) + np.abs(gy)) * 0.125  # levels per pixel
    blocks = (max(1, grey.shape[1] // BLOCK), max(1, grey.shape[0] // BLOCK))
    flat = cv2.resize(gradient, blocks, interpolation=cv2.INTER_AREA) < FLAT_GRAD
    # Fine detail relative to contrast: the Laplacian's energy over the picture's spread, so that
    # light (a gain) does not change it and blur does.
    detail = float(np.abs(cv2.Laplacian(fine, cv2.CV_32F, ksize=1)).mean() / (fine.std() + 1.0))
    return _View(grey, cv2.GaussianBlur(gradient, (0, 0), EDGE_BLUR), flat,
                 cv2.resize(grey, blocks, interpolation=cv2.INTER_AREA), detail)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-6 else 0.0


class TamperingDetector:
    """One camera's tampering judgements: `update(image, t)` on every analysed frame (any size, BGR
    or grey; `t` in seconds) returns the active problems and what started or ended."""

    def __init__(self) -> None:
        self.conditions = {k: _Condition(k) for k in Tamper}
        self.reference: _Reference | None = None
        self.reference_picture: np.ndarray | None = None  # the last normal frame kept, as given
        self._picture_at = -math.inf
        self._previous: np.ndarray | None = None  # the last frame's thumbnail, for frozen
        self._last_t: float | None = None
        self._light_since: float | None = None
        self._last_learned: float | None = None
        self._window: np.ndarray | None = None

    @property
    def active(self) -> frozenset[Tamper]:
        return frozenset(k for k, c in self.conditions.items() if c.active)

    def update(self, image: np.ndarray, t: float) -> TamperResult:
        view = _view(image)
        if self._last_t is not None and t - self._last_t > GAP_S:
            for c in self.conditions.values():
                c.clear_pending()
            self._previous = None
        self._last_t = t
        frame_diff = None
        if self._previous is not None and self._previous.shape == view.grey.shape:
            frame_diff = float(cv2.blur(cv2.absdiff(view.grey, self._previous), (3, 3)).max())
        self._previous = view.grey
        ref = self.reference
        if ref is None:
            self._learn(image, view, t)
            return TamperResult(self.active, (), {"frame_diff": frame_diff})

        m = self._measure(view, ref)
        m["frame_diff"] = frame_diff
        ready = t - ref.started >= WARMUP_S
        covered = m["flat"] >= COVERED_FLAT and m["uniform"] < COVERED_UNIFORM \
            and m["flat"] - ref.flat >= COVERED_TEXTURE_LOST
        light = abs(m["light"]) > LIGHT_CUT and not covered
        defocused = ready and not covered and m["detail"] < DEFOCUS_RATIO
        sharp = not covered and m["detail"] >= MOVED_MIN_SHARP
        moved = ready and sharp and not light and (m["similarity"] < MOVED_SIM or m["shift"] >= MOVED_SHIFT)
        # a covered picture is one colour, the same from frame to frame: covered, not frozen
        frozen = frame_diff is not None and frame_diff <= FROZEN_MAX_CHANGE and not covered
        c = self.conditions
        steps = {
            Tamper.COVERED: (covered, m["flat"] < UNCOVERED_FLAT),
            Tamper.DEFOCUSED: (defocused, not covered and m["detail"] > FOCUSED_RATIO),
            # while covered or blurred, whether the view is back where it was cannot be told: it stays
            Tamper.MOVED: (moved, sharp and m["similarity"] > RETURNED_SIM and m["shift"] < MOVED_SHIFT / 2),
            Tamper.FROZEN: (frozen, frame_diff is not None and frame_diff > FROZEN_MAX_CHANGE),
        }
        changes = []
        for kind, (on, off) in steps.items():
            step = c[kind].step(t, on, off)
            if step is not None:
                change, since = step
                changes.append(TamperChange(kind, change, since, "view_returned" if change == "ended" else None,
                                            _rounded(m)))
        # Light switched: once it has settled, the new view is the reference (not while anything is amiss).
        if light and not any(k.active for k in c.values()):
            self._light_since = t if self._light_since is None else self._light_since
            if t - self._light_since >= LIGHT_SETTLE_S:
                for cond in c.values():
                    cond.clear_pending()
                self.reference, self._light_since = None, None
                self._learn(image, view, t)
        else:
            self._light_since = None
            if not light and not any(k.active or k.pending for k in c.values()):
                self._learn(image, view, t)
        return TamperResult(self.active, tuple(changes), _rounded(m))

    def accept(self, t: float) -> list[TamperChange]:
        """The current view is accepted (an admin, or zones drawn again on it): it becomes the
        reference, learned afresh from the next frames, and every active problem ends as accepted
        (they were all judged against the reference it replaces)."""
        ended = [TamperChange(k, "ended", t, "accepted") for k, c in self.conditions.items() if c.active]
        for c in self.conditions.values():
            c.active = False
            c.clear_pending()
        self.reference, self._light_since = None, None
        return ended

    def restore(self, kinds: set[Tamper] | frozenset[Tamper], picture: np.ndarray | None, t: float) -> None:
        """Problems still open from before a restart: active again, judged against `picture` (their
        stored "before" picture), so that they end when the view returns to it."""
        for k in kinds:
            self.conditions[Tamper(k)].active = True
        if picture is not None:
            self.reference = None
            self._learn(picture, _view(picture), t - WARMUP_S)

    # ------------------------------------------------------------------ internals
    def _measure(self, view: _View, ref: _Reference) -> dict:
        grey = view.grey
        flat = view.flat
        if self._window is None or self._window.shape != grey.shape:
            self._window = cv2.createHanningWindow((grey.shape[1], grey.shape[0]), cv2.CV_32F)
        same = ref.grey.shape == grey.shape
        # copies: phaseCorrelate windows its inputs in place (OpenCV 4.x)
        (dx, dy), response = cv2.phaseCorrelate(ref.grey.copy(), grey.copy(), self._window) if same else ((0, 0), 0)
        return {
            "shift": math.hypot(dx, dy) / grey.shape[1] if response >= SHIFT_RESPONSE else 0.0,
            "response": float(response),
            "flat": float(flat.mean()),
            "uniform": float(view.block_grey[flat].std()) if flat.sum() >= 2 else 255.0,
            "detail": view.detail / max(ref.detail, 1e-6),
            "similarity": _correlation(view.edges, ref.edges) if same else 0.0,
            "light": math.log((float(grey.mean()) + 8.0) / (float(ref.grey.mean()) + 8.0)),
            "brightness": float(grey.mean()),
        }

    def _learn(self, image: np.ndarray, view: _View, t: float) -> None:
        ref = self.reference
        flat = float(view.flat.mean())
        if ref is None or ref.grey.shape != view.grey.shape:
            self.reference = _Reference(view.grey.copy(), view.edges.copy(), view.detail, flat, 1, t)
            self._picture_at = -math.inf
        else:
            dt = 0.0 if self._last_learned is None else max(0.0, t - self._last_learned)
            a = max(1.0 - math.exp(-dt / REF_TAU_S), 1.0 / (ref.frames + 1) if t - ref.started < WARMUP_S else 0.0)
            ref.grey += a * (view.grey - ref.grey)
            ref.edges += a * (view.edges - ref.edges)
            ref.detail += a * (view.detail - ref.detail)
            ref.flat += a * (flat - ref.flat)
            ref.frames += 1
        self._last_learned = t
        if t - self._picture_at >= REF_PICTURE_EVERY_S:
            self.reference_picture, self._picture_at = image.copy(), t


def _rounded(m: dict) -> dict:
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in m.items()}
