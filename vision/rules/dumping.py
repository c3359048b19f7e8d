"""Illegal dumping: an object left in a no-dumping zone, unattended by whoever brought it.

COCO has no garbage class and detectors miss small dark bags, so the object is not found by its
class: it is a region that became static (see `static_objects`, which has already cut people and
vehicles out and told light, shadow and ghosts apart).

A candidate becomes a `dumping` violation once it has stayed `unattended_s` in the zone after its
owner - the person or vehicle track nearest to it when it was put down - is more than
`owner_widths` object widths (and at least its own width) away or out of view. Before that it is checked (`CHECKS`):
- an origin: objects do not appear by themselves; with nobody near when it appeared, a static
  region is light, an undetected person or a reflection;
- parts: a piece of a known object, or a change of it (it slumped, tipped over) with nobody at
  that spot, is that object, not a second one; a bag put down against another is a second one;
- clear view: judged only while nothing passes in front of it;
- look: a picture that keeps changing is a stream of traffic that only looks static.
The violation's box is the object alone; it records the owner (a crop), when the object appeared
and when the owner left. It ends as `removed` when the object is taken away.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..appearance import look
from ..appearance import patch as _patch
from ..detections import APPEARED_AT, CATEGORY, COVERED, HIDDEN, MOTION, NO_TRACK, Detections
from ..matching import greedy_match, overlap
from ..observation import Observation
from ..presence import box_gap
from ..static_objects import STATIC_CLASS
from ..violations import RuleEvent, Violation
from ..zones import PolygonZone

# Thresholds of the rule's judgements, as fractions of an object's size or box, or seconds.
PIECE_GAP = 0.25  # pieces of one object left by one owner lie within a quarter of its size
SAME_LOOK = 0.6  # an alerted object that still looks this much like itself is still there
OVER = 0.5  # a new region lying this much over an older one (of the smaller) belongs to it
NEAR = 0.5  # ... as does one within half the older one's size
CRUMB = 0.25  # a later region this small beside an object is its edge or shadow, not a new one
OWNER_GAP_S = 0.5  # a gap in presence beyond the owner's lost time (plus this) ends the owner's stay
STILL = 0.15  # a held box that moved less than this share of its size between sightings stood still
HELD_OVER = 0.5  # ... and over at least half the candidate, it may be the static thing itself
SAME_TRACK_IOU = 0.3  # the owner's last box and a track now: the same person or vehicle
OWNER_CROP_PAD = 0.05  # the owner's picture for the record, a little wider than the box
ORIGIN_BEFORE_S, ORIGIN_AFTER_S = 2.0, 1.0  # somebody near a region within this of its appearing

OWNER_CATEGORIES = ("person", "vehicle")
# what a candidate is checked for before it alerts, each switchable to measure its effect: an
# origin (somebody was there when it appeared), parts (pieces and changes of an object are that
# object), clear_view (judged only when not hidden), look (its picture keeps steady)
CHECKS = ("origin", "parts", "clear_view", "look")


def _area(box) -> float:
    return float((box[2] - box[0]) * (box[3] - box[1]))


def _touching(cands: list) -> list[list]:
    """Candidates grouped where their boxes touch or overlap (gap within a quarter of the smaller
    one's size) and their owner is the same known track."""
    groups: list[list] = []
    for c in cands:
        size = max(c.box[2] - c.box[0], c.box[3] - c.box[1])
        for g in groups:
            if any(o.owner is not None and o.owner == c.owner and box_gap(o.box, c.box) <= PIECE_GAP * min(
                    size, max(o.box[2] - o.box[0], o.box[3] - o.box[1])) for o in g):
                g.append(c)
                break
        else:
            groups.append([c])
    return groups


def _motion(regions: Detections, i: int) -> float:
    return float(regions.data[MOTION][i]) if MOTION in regions.data else 0.0


@dataclass
class _Candidate:
    box: np.ndarray
    appeared_at: float
    last_seen: float
    template: np.ndarray | None  # how it looked when first seen in full (nothing passing in front)
    covered_until: float = -1e18  # last time a person or vehicle stood over it (not just passed)
    cover_run_start: float | None = None  # start of the current spell of being covered
    last_covered: float = -1e18
    stable_since: float = -1e18  # its picture has not kept changing since
    changed_at: float | None = None  # its picture last changed
    owner: int | None = None  # owner track id, once looked for
    owner_searched: bool = False
    orphan: bool = False  # nobody was near when it appeared: not something somebody left
    owner_box: np.ndarray | None = None
    owner_crop: np.ndarray | None = None
    owner_left_at: float | None = None  # owner away (or none found) since
    confidence: float = 0.0
    violation: Violation | None = None
    seen: int = 1
    motion: float = 0.0  # share of its box changing now (something passing in front)
    template_box: np.ndarray | None = None  # the box the template was taken of, compared as it was


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
        max_motion: float = 0.3,
        split_s: float = 1.5,
        checks: frozenset[str] = frozenset(CHECKS),
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
        self.max_motion = max_motion
        self.split_s = split_s  # put down this far apart: different objects (as the static stage splits them)
        self.checks = frozenset(checks)
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
            if cand.template is None and cand.motion < self.max_motion:  # first clear view (or restored)
                self._learn_look(cand, obs)
            if ci in matched:
                continue
            # No static region here now: taken away, or the models were reset under it. An alerted
            # object that still looks the same is still there.
            if cand.violation is not None and (self._looks(cand, obs) or 0.0) >= SAME_LOOK:
                cand.last_seen = t
        keep = []
        for cand in self._cands:
            if t - cand.last_seen > self.removed_after_s or (obs.reset and cand.violation is None):
                if cand.violation is not None:
                    events.append(self._end(cand, "removed"))
                continue
            keep.append(cand)
        self._cands = keep
        ready = [c for c in self._cands if c.last_seen == t and self._judge(c, obs)]
        for group in _touching(ready):
            # left together, side by side, by the one owner: one object (a bag dragged in steps
            # became static in parts), one alert with the box around all of it
            keep = max(group, key=lambda c: _area(c.box))
            for c in group:
                keep.box = np.concatenate([np.minimum(keep.box[:2], c.box[:2]), np.maximum(keep.box[2:], c.box[2:])])
            self._cands = [c for c in self._cands if c is keep or not any(c is g for g in group)]
            events.append(self._raise(keep, obs))
        return events

    def _remember_tracks(self, obs: Observation) -> None:
        d = obs.detections
        if len(d):
            cats = d.data.get(CATEGORY, d.class_name)
            owners = d[np.isin(cats, OWNER_CATEGORIES) & (d.tracker_id >= 0)]
            for i in range(len(owners)):
                tid = int(owners.tracker_id[i])
                h = self._tracks.setdefault(tid, _TrackHistory())
                h.boxes.append((obs.t, owners.xyxy[i].copy()))
                crop = obs.crop(owners.xyxy[i], pad=OWNER_CROP_PAD)
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
            cand.motion = _motion(regions, ri)
            self._note_cover(cand, t, bool(regions.data[COVERED][ri] >= HIDDEN))
            matched.add(ci)
            used.add(ri)
        for ri in range(len(regions)):
            if ri in used or ("parts" in self.checks and self._absorbed(
                    regions.xyxy[ri], float(regions.data[APPEARED_AT][ri]), obs, matched)):
                continue
            box = regions.xyxy[ri].copy()
            cand = _Candidate(
                box=box, appeared_at=float(regions.data[APPEARED_AT][ri]), last_seen=t,
                template=None, confidence=float(regions.confidence[ri]), motion=_motion(regions, ri),
            )
            self._note_cover(cand, t, bool(regions.data[COVERED][ri] >= HIDDEN))
            self._cands.append(cand)
            matched.add(len(self._cands) - 1)
        return matched

    def _learn_look(self, cand: _Candidate, obs: Observation) -> None:
        cand.template_box = cand.box.copy()
        cand.template = _patch(obs.image, cand.template_box, obs.scale)

    def _looks(self, cand: _Candidate, obs: Observation) -> float | None:
        """How much it looks as it did (1: the same; None: not known), compared over the same box:
        for a 20-pixel bag a box two pixels off is another picture."""
        return None if cand.template is None else look(obs.image, cand.template_box, cand.template, obs.scale)

    def _absorbed(self, box: np.ndarray, appeared_at: float, obs: Observation, matched: set[int]) -> bool:
        """A region that is part of a known object, not a second object: a piece of it (lying
        mostly over it, static since about the same time), or a change of it (over it or beside it,
        later, with nobody at that spot when it appeared: the bag slumped, tipped over, was blown
        open). A bag put down on or against another one has somebody putting it there. The object
        stays seen, and grows its box while it has not been alerted on."""
        if not self._cands:
            return False
        boxes = np.stack([c.box for c in self._cands])
        _, iomin = overlap(box, boxes)
        size = float(max(box[2] - box[0], box[3] - box[1]))
        ci = int(iomin[0].argmax())
        over = iomin[0, ci] >= OVER
        if not over:
            gaps = [box_gap(box, b) for b in boxes]
            ci = int(np.argmin(gaps))
            if gaps[ci] > NEAR * size:
                return False
        cand = self._cands[ci]
        later = appeared_at > cand.appeared_at + self.split_s
        if not later and not over:
            return False  # a neighbour that was there as early: an object of its own
        if later:
            crumb = _area(box) <= CRUMB * _area(boxes[ci])  # an edge or a shadow of it
            if not crumb and (obs.presence is None or obs.presence.near(box, 0.0, appeared_at - ORIGIN_BEFORE_S,
                                                                         appeared_at + ORIGIN_AFTER_S)):
                return False  # somebody was at that spot when it appeared: put there
        if cand.violation is None and _area(box) > _area(cand.box):
            cand.box = np.concatenate([np.minimum(cand.box[:2], box[:2]), np.maximum(cand.box[2:], box[2:])])
        cand.last_seen = obs.t
        matched.add(ci)
        return True

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

    def _judge(self, cand: _Candidate, obs: Observation) -> bool:
        """Is it a left object, unattended for unattended_s, now?"""
        t = obs.t
        if cand.violation is not None:
            return False
        if cand.covered_until >= t or (cand.cover_run_start is not None and t - cand.last_covered <= 0):
            return False  # a person or a vehicle standing still, or something under one
        if "clear_view" in self.checks and cand.motion >= self.max_motion:
            return False  # something passes in front (or its picture flickers): not seen now
        # It must keep its look: a slow stream of traffic can look static, but is never the same
        # picture for long. A picture that changes again within unattended_s starts the clock
        # again; one change alone (a bag tipping over, slumping) does not.
        if "look" in self.checks and (self._looks(cand, obs) or 1.0) < self.min_appearance:
            self._learn_look(cand, obs)
            if cand.changed_at is not None and t - cand.changed_at <= self.unattended_s:
                cand.stable_since = t
            cand.changed_at = t
            return False
        if not cand.owner_searched:
            self._find_owner(cand, t, obs)
        if cand.orphan:
            return False
        away_since = self._owner_away_since(cand, t, obs)
        if away_since is None:
            return False
        # Unattended time counts from when the object was put down (its pixels became static) or
        # its owner went, whichever is later; and from when its picture last changed or somebody
        # last stood over it.
        since = max(away_since, cand.appeared_at, cand.stable_since, cand.covered_until)
        if cand.seen < 2 or t - since < self.unattended_s:
            return False
        return True

    def _find_owner(self, cand: _Candidate, t: float, obs: Observation) -> None:
        """The person or vehicle nearest to the object around the time it appeared. Objects do not
        appear by themselves: with nobody near, a static region is light, an undetected person
        or a reflection, and never alerts."""
        cand.owner_searched = True
        size = float(max(cand.box[2] - cand.box[0], cand.box[3] - cand.box[1]))
        reach = 2 * self.owner_widths * size
        lo, hi = cand.appeared_at - self.owner_search_s, cand.appeared_at + self.owner_search_s
        # whoever was nearest when it was put down; only if nobody was, whoever came near soon
        # before or after (not the next person to put something beside it)
        best, best_gap = self._nearest(cand.box, cand.appeared_at - 1.0, cand.appeared_at + 1.5)
        if best is None or best_gap > reach:
            best, best_gap = self._nearest(cand.box, lo, hi)
        if best is not None and best_gap <= reach:
            cand.owner = best
            cand.owner_box = self._tracks[best].boxes[-1][1].copy()
            cand.owner_crop = self._tracks[best].crop
            return
        if obs.presence is None:
            cand.owner_left_at = cand.appeared_at
            return
        # somebody the tracker could not follow (small, far, seen now and then): gone when nobody
        # was seen within owner_widths of it any more
        if not obs.presence.near(cand.box, reach, lo, hi):
            cand.orphan = "origin" in self.checks
            if not cand.orphan:
                cand.owner_left_at = cand.appeared_at
            return
        left = cand.appeared_at
        for ts in obs.presence.near(cand.box, self.owner_widths * size, lo, t):
            if ts - left > self.owner_lost_s + OWNER_GAP_S and ts > hi:
                break  # a gap: whoever comes later is somebody else
            left = max(left, ts)
        cand.owner_left_at = left

    def _nearest(self, box: np.ndarray, lo: float, hi: float) -> tuple[int | None, float]:
        """The track that came nearest to `box` between lo and hi, and how near."""
        best, best_gap = None, np.inf
        for tid, h in self._tracks.items():
            for ts, b in h.boxes:
                if lo <= ts <= hi and (gap := box_gap(b, box)) < best_gap:
                    best, best_gap = tid, gap
        return best, best_gap

    def _owner_away_since(self, cand: _Candidate, t: float, obs: Observation) -> float | None:
        """When the owner went more than `owner_widths` object widths away, or out of view; None
        while the owner is beside the object."""
        if cand.owner is None:
            return cand.owner_left_at
        h = self._tracks.get(cand.owner)
        if h is None:  # forgotten: long out of view
            return cand.owner_left_at if cand.owner_left_at is not None else t
        last_t, last_box = h.boxes[-1]
        near = self._beside(last_box, cand)
        if near and last_t < t - self.owner_lost_s and (found := self._refound(last_box, obs)) is not None:
            # lost while standing beside it and found again where it stood, under a new track id
            cand.owner, h = found, self._tracks[found]
            last_t, last_box = h.boxes[-1]
        if last_t >= t - self.owner_lost_s and self._beside(last_box, cand):
            cand.owner_left_at = None
            return None  # attended
        if self._lost_on_it(h, cand):
            cand.owner_left_at = None
            return None  # not seen to go: undetected where it stood (a waiting rider, a bent back)
        # gone: since the first of its latest positions that were all far, or since it was last
        # seen when it vanished from beside the object
        away = last_t
        for ts, box in reversed(h.boxes):
            if self._beside(box, cand):
                break
            away = ts
        cand.owner_left_at = away
        return away

    def _beside(self, owner_box: np.ndarray, cand: _Candidate) -> bool:
        """Within `owner_widths` object widths, and never less than the owner's own width: a
        person within arm's reach is with the thing, however small it is (a speck of shadow at their
        feet must not find them gone while they stand there)."""
        limit = max(self.owner_widths * float(cand.box[2] - cand.box[0]), float(owner_box[2] - owner_box[0]))
        return box_gap(owner_box, cand.box) <= limit

    @staticmethod
    def _lost_on_it(h: _TrackHistory, cand: _Candidate) -> bool:
        """The owner was last seen standing still over most of the object: it was lost there by
        the detector, not seen to leave, and may be the very thing that is static."""
        if len(h.boxes) < 2:
            return False
        (_, before), (_, last) = h.boxes[-2], h.boxes[-1]
        size = max(last[2] - last[0], last[3] - last[1])
        still = np.abs(last - before).max() <= STILL * size
        inter = np.clip(np.minimum(last[2:], cand.box[2:]) - np.maximum(last[:2], cand.box[:2]), 0, None).prod()
        return bool(still and inter >= HELD_OVER * _area(cand.box))

    def _refound(self, last_box: np.ndarray, obs: Observation) -> int | None:
        """A person or vehicle seen now where the lost owner last stood (IoU >= 0.3)."""
        d = obs.detections
        if not len(d):
            return None
        cats = d.data.get(CATEGORY, d.class_name)
        cand = d[np.isin(cats, OWNER_CATEGORIES) & (d.tracker_id >= 0)]
        if not len(cand):
            return None
        iou, _ = overlap(cand.xyxy, last_box)
        best = int(iou[:, 0].argmax())
        return int(cand.tracker_id[best]) if iou[best, 0] >= SAME_TRACK_IOU else None

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
            class_name=STATIC_CLASS, bbox=(x1, y1, x2, y2), confidence=cand.confidence, track_id=NO_TRACK,
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
            box=box, appeared_at=violation.started_at, last_seen=t, template=None,
            owner_searched=True, owner_left_at=violation.evidence.get("owner_left_at"), violation=violation,
            seen=2,
        ))
