"""Hard-negative memory: what a supervisor dismissed as a false detection is not raised again at
that place while it looks the same.

A suppression remembers a dismissed event's zone, category, box and how the object looked (a
signature of the clean snapshot under the box). A violation about to be raised is held back when a
live suppression of its zone and category overlaps its box and the picture there looks like the
remembered one; a new object at the same spot (another car, a stall where a bin stood) looks
different and is raised. Appearance is judged twice, both blind to light changes: the colour of
the object (a hue-saturation histogram, no brightness axis) and its grey picture (normalised
cross-correlation with a small shift search, `appearance.look`). Pure: pictures in, verdicts out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .appearance import look, patch
from .gated import GatedRule
from .violations import RuleEvent, Violation

HUE_BINS, SAT_BINS = 16, 4
MIN_IOU = 0.3  # or the centre of one box inside the other
# Measured on vn_cars_parked_at_curb.mp4 (tests/test_hard_negatives.py), the same parked car in
# frames minutes apart: colour 0.87-0.98, grey 0.78-0.96; the white MPV that took the white SUV's
# spot: colour 0.64-0.93 (white against white says little), grey 0.33-0.59 (the decisive one).
MIN_COLOUR = 0.7
MIN_LOOK = 0.7


@dataclass(frozen=True)
class Signature:
    """How an object looks: hue-saturation histogram (sums to 1) and grey patch (appearance.PATCH²)."""

    colour: np.ndarray
    grey: np.ndarray | None

    def to_dict(self) -> dict:
        return {"colour": [round(float(v), 5) for v in self.colour],
                "grey": None if self.grey is None else [round(float(v), 1) for v in self.grey.ravel()]}

    @classmethod
    def from_dict(cls, d: dict) -> Signature:
        grey = d.get("grey")
        side = int(round(len(grey) ** 0.5)) if grey else 0
        return cls(np.asarray(d["colour"], np.float32),
                   None if not grey else np.asarray(grey, np.float32).reshape(side, side))


def _crop(image: np.ndarray, box, scale) -> np.ndarray | None:
    sx, sy = scale
    h, w = image.shape[:2]
    x1, y1 = max(0, int(box[0] * sx)), max(0, int(box[1] * sy))
    x2, y2 = min(w, int(np.ceil(box[2] * sx))), min(h, int(np.ceil(box[3] * sy)))
    if x2 - x1 < 3 or y2 - y1 < 3:
        return None
    return image[y1:y2, x1:x2]


def signature(image: np.ndarray | None, box, scale=(1.0, 1.0)) -> Signature | None:
    """The signature of the object in `box` (camera pixels; `scale`: image pixels per camera pixel)."""
    if image is None or (crop := _crop(image, box, scale)) is None:
        return None
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [HUE_BINS, SAT_BINS], [0, 180, 0, 256]).ravel()
    return Signature((hist / max(float(hist.sum()), 1.0)).astype(np.float32), patch(image, box, scale))


def colour_similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.compareHist(a.astype(np.float32), b.astype(np.float32), cv2.HISTCMP_CORREL))


def looks_alike(image: np.ndarray | None, box, remembered: Signature, scale=(1.0, 1.0)) -> bool:
    """Whether the object in `box` looks like the remembered one: same colours and, where the
    pictures have texture enough to tell, the same grey picture."""
    now = signature(image, box, scale)
    if now is None or colour_similarity(now.colour, remembered.colour) < MIN_COLOUR:
        return False
    grey = look(image, box, remembered.grey, scale)
    return grey is None or grey >= MIN_LOOK


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def same_place(a, b, min_iou: float = MIN_IOU) -> bool:
    """Boxes overlapping enough, or the centre of one inside the other."""
    if iou(a, b) >= min_iou:
        return True
    (ax, ay), (bx, by) = ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2), ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    return (b[0] <= ax <= b[2] and b[1] <= ay <= b[3]) or (a[0] <= bx <= a[2] and a[1] <= by <= a[3])


@dataclass(frozen=True)
class Suppression:
    id: int
    zone: str
    category: str
    bbox: tuple[float, float, float, float]  # camera pixels
    look: Signature
    expires_at: float = float("inf")  # seconds (wall clock live, video time offline)


@dataclass
class HardNegatives:
    """One camera's suppressions, replaced as the office adds and removes them, and what they held
    back since last asked (`take_hits`)."""

    suppressions: list[Suppression] = field(default_factory=list)
    _hits: dict[int, tuple[int, float]] = field(default_factory=dict)  # id -> (count, last t)

    def set(self, suppressions: list[Suppression]) -> None:
        self.suppressions = list(suppressions)

    def ids(self) -> set[int]:
        return {s.id for s in self.suppressions}

    def match(self, v: Violation, image: np.ndarray | None, scale, t: float) -> Suppression | None:
        """The live suppression that holds `v` back, if any (and counted as a hit)."""
        for s in self.suppressions:
            if (s.zone == v.zone and s.category == v.category and s.expires_at > t and same_place(s.bbox, v.bbox)
                    and looks_alike(image, v.bbox, s.look, scale)):
                count, _ = self._hits.get(s.id, (0, t))
                self._hits[s.id] = (count + 1, t)
                return s
        return None

    def take_hits(self) -> dict[int, tuple[int, float]]:
        hits, self._hits = self._hits, {}
        return hits


class HardNegativeGate(GatedRule):
    """A zone rule behind its camera's hard-negative memory: the same interface as the rule (as
    `gated.GatedRule`), with the violations a suppression matches held back. A held one is
    judged again when its suppression goes (removed, expired): raised then if nothing else holds it."""

    def __init__(self, rule, memory: HardNegatives):
        super().__init__(rule)
        self.memory = memory

    def update(self, obs) -> list[RuleEvent]:
        out: list[RuleEvent] = []
        for ev in self.rule.update(obs):
            v = ev.violation
            if ev.kind == "raised":
                s = self.memory.match(v, obs.image, obs.scale, obs.t)
                if s is not None:
                    self._held[v.id] = s.id
                    continue
                out.append(ev)
            elif self._held.pop(v.id, None) is None:  # a held one ends unannounced
                out.append(ev)
        if self._held:
            live = {s.id for s in self.memory.suppressions if s.expires_at > obs.t}
            for v in self.rule.active:
                if v.id in self._held and self._held[v.id] not in live:
                    s = self.memory.match(v, obs.image, obs.scale, obs.t)
                    if s is not None:
                        self._held[v.id] = s.id
                        continue
                    del self._held[v.id]
                    v.evidence["held_until"] = obs.t  # held back by a suppression until now
                    v.raised_at = obs.t
                    out.append(RuleEvent.of("raised", v))
        return out
