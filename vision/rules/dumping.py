"""Illegal dumping: an object left in a no-dumping zone, unattended by whoever brought it.

COCO has no garbage class and detectors miss small dark bags, so the object is not found by its
class: it is a region that became static (see `static_objects`). People and vehicles standing
still are static too; regions they cover are theirs, not left objects.

A candidate becomes a `dumping` violation once it has stayed `unattended_s` in the zone after its
owner - the person or vehicle track nearest to it when it appeared - is more than
`owner_widths` object widths away or out of view. The violation records the owner (a crop), when
the object appeared and when the owner left. It ends as `removed` when the object is taken away.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..detections import Detections
from ..matching import greedy_match, overlap
from ..observation import Observation
from ..violations import RuleEvent, Violation
from ..zones import PolygonZone

OWNER_CATEGORIES = ("person", "vehicle")


def box_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Distance between two boxes' edges (0 when they touch or overlap)."""
    dx = max(a[0] - b[2], b[0] - a[2], 0.0)
    dy = max(a[1] - b[3], b[1] - a[3], 0.0)
    return float(np.hypot(dx, dy))


def _patch(image: np.ndarray | None, box, scale) -> np.ndarray | None:
    """A small grey picture of the box, for appearance checks."""
    if image is None:
        return None
    sx, sy = scale
    x1, y1, x2, y2 = int(box[0] * sx), int(box[1] * sy), int(np.ceil(box[2] * sx)), int(np.ceil(box[3] * sy))
    h, w = image.shape[:2]
    x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
    if x2 - x1 < 3 or y2 - y1 < 3:
        return None
    gray = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, (24, 24), interpolation=cv2.INTER_AREA).astype(np.float32)


def ncc(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Normalised cross-correlation: 1 for the same picture under any brightness and contrast."""
    if a is None or b is None:
        return 0.0
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-6 else 0.0


@dataclass
class _Candidate:
    box: np.ndarray
    appeared_at: float
    first_seen: float
    last_seen: float
    template: np.ndarray | None  # how it looked when first seen
    covered_until: float = -1e18  # last time a person or vehicle stood over it (not just passed)
    cover_run_start: float | None = None  # start of the current spell of being covered
    last_covered: float = -1e18
    stable_since: float = -1e18  # its picture has not changed since
    owner: int | None = None  # owner track id, once looked for
    owner_searched: bool = False
    owner_box: np.ndarray | None = None
    owner_crop: np.ndarray | None = None
    owner_left_at: float | None = None  # owner away (or none found) since
    confidence: float = 0.0
    violation: Violation | None = None
    seen: int = 1


@dataclass
class _TrackHistory:
    boxes: deque = field(default_factory=lambda: deque(maxlen=64))  # (t, box)
    crop: np.ndarray | None = None  # the latest picture of it


class DumpingRule:
    type = "dumping"

    def __init__(
        self,
        zone: PolygonZone,
        unattended_s: float,
        owner_widths: float = 2.0,
        owner_lost_s: float = 1.0,
        owner_search_s: float = 3.0,
        removed_after_s: float = 2.0,
        match_iou: float = 0.3,
        min_appearance: float = 0.5,
        history_s: float = 20.0,
        stand_s: float = 2.0,
        cover_gap_s: float = 1.0,
    ):
        self.zone = zone
        self.unattended_s = unattended_s
        self.owner_widths = owner_widths
        self.owner_lost_s = owner_lost_s
        self.owner_search_s = owner_search_s
        self.removed_after_s = removed_after_s
        self.match_iou = match_iou
        self.min_appearance = min_appearance
        self.history_s = history_s
        self.stand_s = stand_s
        self.cover_gap_s = cover_gap_s
        self._cands: list[_Candidate] = []
        self._tracks: dict[int, _TrackHistory] = {}
        self._next_id = 1

    @property
    def active(self) -> list[Violation]:
        return [c.violation for c in self._cands if c.violation is not None]

    # ------------------------------------------------------------------ per frame
    def update(self, obs: Observation) -> list[RuleEvent]:
        t = obs.t
        self._remember_tracks(obs)
        regions = obs.static
        if len(regions):
            regions = regions[self.zone.trigger(regions)]
        events: list[RuleEvent] = []
        matched = self._match(regions, obs)
        for ci, cand in enumerate(self._cands):
            if cand.template is None:  # restored after a restart: learn how it looks now
                cand.template = _patch(obs.image, cand.box, obs.scale)
            if ci in matched:
                continue
            # No static region here now: taken away, or the models were reset under it. An alerted
            # object that still looks the same is still there.
            if cand.violation is not None and ncc(_patch(obs.image, cand.box, obs.scale), cand.template) >= 0.6:
                cand.last_seen = t
        keep = []
        for cand in self._cands:
            if t - cand.last_seen > self.removed_after_s or (obs.reset and cand.violation is None):
                if cand.violation is not None:
                    events.append(self._end(cand, "removed"))
                continue
            keep.append(cand)
        self._cands = keep
        for cand in self._cands:
            if cand.last_seen == t:
                ev = self._judge(cand, obs)
                if ev is not None:
                    events.append(ev)
        return events

    def _remember_tracks(self, obs: Observation) -> None:
        d = obs.detections
        if len(d):
            cats = d.data.get("category", d.class_name)
            owners = d[np.isin(cats, OWNER_CATEGORIES) & (d.tracker_id >= 0)]
            for i in range(len(owners)):
                tid = int(owners.tracker_id[i])
                h = self._tracks.setdefault(tid, _TrackHistory())
                h.boxes.append((obs.t, owners.xyxy[i].copy()))
                crop = obs.crop(owners.xyxy[i], pad=0.05)
                if crop is not None:
                    h.crop = crop
        for tid in [k for k, h in self._tracks.items() if obs.t - h.boxes[-1][0] > self.history_s]:
            del self._tracks[tid]

    def _match(self, regions: Detections, obs: Observation) -> set[int]:
        t = obs.t
        matched: set[int] = set()
        pairs = []
        if len(regions) and self._cands:
            iou, _ = overlap(regions.xyxy, np.stack([c.box for c in self._cands]))
            pairs = greedy_match(iou, iou >= self.match_iou)
        used = set()
        for ri, ci in pairs:
            cand = self._cands[ci]
            cand.box = regions.xyxy[ri].copy() if cand.violation is None else cand.box
            cand.last_seen = t
            cand.seen += 1
            cand.confidence = max(cand.confidence, float(regions.confidence[ri]))
            self._note_cover(cand, t, bool(regions.data["covered"][ri] >= 0.5))
            matched.add(ci)
            used.add(ri)
        for ri in range(len(regions)):
            if ri in used:
                continue
            box = regions.xyxy[ri].copy()
            cand = _Candidate(
                box=box, appeared_at=float(regions.data["appeared_at"][ri]), first_seen=t, last_seen=t,
                template=_patch(obs.image, box, obs.scale), confidence=float(regions.confidence[ri]),
            )
            self._note_cover(cand, t, bool(regions.data["covered"][ri] >= 0.5))
            self._cands.append(cand)
            matched.add(len(self._cands) - 1)
        return matched

    def _note_cover(self, cand: _Candidate, t: float, covered: bool) -> None:
        """A person or vehicle over the region for a spell of `stand_s` is standing there (or the
        region is them); one walking past in a moment is not, and does not restart the clock."""
        if not covered:
            if t - cand.last_covered > self.cover_gap_s:
                cand.cover_run_start = None
            return
        if cand.cover_run_start is None or t - cand.last_covered > self.cover_gap_s:
            cand.cover_run_start = t
        cand.last_covered = t
        if t - cand.cover_run_start >= self.stand_s or cand.seen <= 1:
            cand.covered_until = t

    def _judge(self, cand: _Candidate, obs: Observation) -> RuleEvent | None:
        t = obs.t
        if cand.violation is not None:
            return None
        if cand.covered_until >= t or (cand.cover_run_start is not None and t - cand.last_covered <= 0):
            return None  # a person or a vehicle standing still, or something under one
        # It must still look as it did: a slow stream of traffic can look static, but is never the
        # same picture for long. A changed picture starts the clock again.
        now = _patch(obs.image, cand.box, obs.scale)
        if cand.template is not None and now is not None and ncc(now, cand.template) < self.min_appearance:
            cand.template = now
            cand.stable_since = t
            return None
        if not cand.owner_searched:
            self._find_owner(cand, t)
        away_since = self._owner_away_since(cand, t)
        if away_since is None:
            return None
        # Unattended time counts from when the object was seen here as a region, its owner gone,
        # its picture steady and nobody standing over it.
        since = max(away_since, cand.first_seen, cand.stable_since, cand.covered_until)
        if cand.seen < 2 or t - since < self.unattended_s:
            return None
        return self._raise(cand, obs)

    def _find_owner(self, cand: _Candidate, t: float) -> None:
        """The person or vehicle nearest to the object around the time it appeared."""
        cand.owner_searched = True
        width = float(cand.box[2] - cand.box[0])
        best, best_gap = None, np.inf
        lo = cand.appeared_at - self.owner_search_s
        for tid, h in self._tracks.items():
            for ts, box in h.boxes:
                if lo <= ts <= t:
                    gap = box_gap(box, cand.box)
                    if gap < best_gap:
                        best, best_gap = tid, gap
        if best is not None and best_gap <= 2 * self.owner_widths * width:
            cand.owner = best
            cand.owner_box = self._tracks[best].boxes[-1][1].copy()
            cand.owner_crop = self._tracks[best].crop
        else:
            cand.owner_left_at = cand.appeared_at  # nobody was near: it was left, or thrown, unseen

    def _owner_away_since(self, cand: _Candidate, t: float) -> float | None:
        if cand.owner is None:
            return cand.owner_left_at
        h = self._tracks.get(cand.owner)
        width = float(cand.box[2] - cand.box[0])
        if h is None:  # forgotten: long out of view
            return cand.owner_left_at if cand.owner_left_at is not None else t
        last_t, last_box = h.boxes[-1]
        limit = self.owner_widths * width
        if last_t >= t - self.owner_lost_s and box_gap(last_box, cand.box) <= limit:
            cand.owner_left_at = None
            return None  # attended
        # gone: since the first of its latest positions that were all far, or since it was last
        # seen when it vanished from beside the object
        away = last_t
        for ts, box in reversed(h.boxes):
            if box_gap(box, cand.box) <= limit:
                break
            away = ts
        cand.owner_left_at = away
        return away

    def _raise(self, cand: _Candidate, obs: Observation) -> RuleEvent:
        x1, y1, x2, y2 = (float(v) for v in cand.box)
        evidence = {
            "appeared_at": cand.appeared_at,
            "owner_left_at": cand.owner_left_at,
            "owner_track_id": cand.owner,
            "owner_box": None if cand.owner_box is None else [round(float(v), 1) for v in cand.owner_box],
        }
        crops = {"owner": cand.owner_crop} if cand.owner_crop is not None else {}
        cand.violation = Violation(
            id=self._next_id, type="dumping", zone=self.zone.name, category="left_object",
            class_name="static_object", bbox=(x1, y1, x2, y2), confidence=cand.confidence, track_id=-1,
            started_at=cand.appeared_at, raised_at=obs.t, params={"unattended_s": self.unattended_s},
            evidence=evidence, crops=crops,
        )
        self._next_id += 1
        return RuleEvent.of("raised", cand.violation)

    def _end(self, cand: _Candidate, reason: str) -> RuleEvent:
        return cand.violation.end(cand.last_seen, reason)

    def restore(self, violation: Violation, t: float) -> None:
        """An active dumping event from before a restart: kept while the object is still seen."""
        violation.id = self._next_id
        self._next_id += 1
        box = np.asarray(violation.bbox, np.float32)
        self._cands.append(_Candidate(
            box=box, appeared_at=violation.started_at, first_seen=t, last_seen=t, template=None,
            owner_searched=True, owner_left_at=violation.evidence.get("owner_left_at"), violation=violation,
            seen=2,
        ))
