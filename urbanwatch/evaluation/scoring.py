"""Event-level scoring, by the rules of the ground-truth format (docs/ground-truth.md)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import numpy as np

from vision.matching import overlap

from .ground_truth import GroundTruth

IOU_MIN = 0.3
EARLY_S = 2.0  # an alert may come this much before it is due ...
LATE_S = 10.0  # ... or this much after


@dataclass(frozen=True)
class Alert:
    type: str
    bbox: tuple[float, float, float, float]
    t: float  # seconds into the clip

    def to_dict(self) -> dict:
        return {"type": self.type, "bbox": [round(float(v), 1) for v in self.bbox], "t": round(self.t, 3)}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    lags: list[float] = field(default_factory=list)
    matches: list[dict] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None if self.fp == 0 else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def median_lag(self) -> float | None:
        return statistics.median(self.lags) if self.lags else None

    @property
    def worst_lag(self) -> float | None:
        return max(self.lags, key=abs) if self.lags else None

    def __iadd__(self, other: Score) -> Score:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.lags += other.lags
        return self

    def to_dict(self) -> dict:
        r = lambda v: None if v is None else round(v, 4)  # noqa: E731
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": r(self.precision),
                "recall": r(self.recall), "f1": r(self.f1), "median_lag_s": r(self.median_lag),
                "worst_lag_s": r(self.worst_lag), "false_alerts": self.fp}


def iou(a, b) -> float:
    return float(overlap(np.array(a), np.array(b))[0][0, 0])


def pooled_f1(tp: int, fp: int, fn: int) -> float:
    """F1 of pooled counts; nothing to find and nothing raised is perfect (all-negative sets)."""
    return 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def clip_f1(tp: int, fp: int, fn: int, negative: bool) -> float:
    """One clip's F1 for a mean over clips: a negative clip scores 1.0 if it raised no alert and
    0.0 otherwise; a positive clip that raised nothing scores 0.0."""
    if negative:
        return 1.0 if fp == 0 else 0.0
    return pooled_f1(tp, fp, fn)


def score_clip(gt: GroundTruth, alerts: list[Alert]) -> Score:
    """Each event matches at most one alert of its type, overlapping its box (IoU >= 0.3) and
    raised between 2 s before and 10 s after it is due; every other alert is a false alert."""
    pairs = []
    for ei, e in enumerate(gt.events):
        due = gt.due(e)
        for ai, a in enumerate(alerts):
            if a.type != e.type:
                continue
            ov = iou(e.bbox, a.bbox)
            lag = a.t - due
            if ov >= IOU_MIN and -EARLY_S <= lag <= LATE_S:
                pairs.append((abs(lag), -ov, ei, ai, lag, ov))
    s = Score()
    used_e, used_a = set(), set()
    for _, _, ei, ai, lag, ov in sorted(pairs):
        if ei in used_e or ai in used_a:
            continue
        used_e.add(ei)
        used_a.add(ai)
        s.tp += 1
        s.lags.append(lag)
        s.matches.append({"event": gt.events[ei].id, "alert": ai, "lag_s": round(lag, 3), "iou": round(ov, 3)})
    s.fn = len(gt.events) - len(used_e)
    s.fp = len(alerts) - len(used_a)
    return s
