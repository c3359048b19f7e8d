"""Sidewalk encroachment: an object of the configured classes at rest in a sidewalk zone for `dwell_s`.

State is kept per *object*: a resting object is the same object while its track says so, or, when
the track was lost (a parked car hidden by a passing bus and found again under a new id), while it
stands where it stood and looks as it looked. Another object taking the spot, one car of a queue
after the other, starts its own clock: it has another track and another picture.

At rest is judged at the object's own scale: its ground point (bottom centre) moves less than
`still_frac` of its size and its box changes size by less than `size_frac`. An object coming
towards the camera barely moves its box centre, but its box grows and its ground point comes down:
that is motion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..appearance import look, part_of, patch
from ..detections import (
    APPEARED_AT,
    CATEGORY,
    CLASS_NAME,
    COVERED,
    HIDDEN,
    MOTION,
    NO_TRACK,
    RESTING,
    SINCE,
    Detections,
)
from ..matching import overlap
from ..observation import Observation
from ..static_objects import STATIC_CLASS
from ..violations import RuleEvent, Violation
from ..zones import PolygonZone

# Thresholds of the rule's judgements, as fractions of a box or of its size, or seconds.
SHIFTED_IOU = 0.3  # its own track a little off where it rested: shifted, not gone
IN_FRONT = (0.25, 0.95)  # something over this share of a box (not all of it) hides part of it
INSIDE = 0.8  # a smaller box this much inside the one it rested in: that object, partly seen
HIDDEN_FOR_S = 1.0  # ... just after it was seen whole
EDGE_KEPT = 0.05  # an edge within this share of the object's size of where it was: kept
SAME_SPOT_IOU = 0.7  # another track resting this much over the spot: the same object followed
MOVING = 0.3  # a region this much changing now is something passing, not goods at rest
TAKEN_OVER_IOU = 0.5  # another object of its kind standing this much over the spot
DUPLICATE = (0.3, 0.6)  # IoU, or share of the smaller: a second view of an alerted object
TIE_BREAK = 0.01  # between equal IoUs, the box lying more inside the spot wins


STATIC_CATEGORY = "goods"  # what an unexplained static region on a sidewalk is taken for


@dataclass
class _Resting:
    """An object seen at rest at one place."""

    anchor: np.ndarray  # box where it came to rest
    box: np.ndarray  # latest box
    category: str
    class_name: str
    confidence: float
    track_id: int
    still_since: float
    last_seen: float
    seen: int = 1
    violation: Violation | None = None
    track_ids: set[int] = field(default_factory=set)
    template: np.ndarray | None = None  # how its anchor box looked when it came to rest
    orphan: bool = False  # a static region nobody brought: light, an undetected person, not goods
    first_seen: float = 0.0
    motion: float = 0.0  # share of its box changing now (static regions only)

    @property
    def static(self) -> bool:
        return self.class_name == STATIC_CLASS


def _area(box) -> float:
    return float((box[2] - box[0]) * (box[3] - box[1]))


def at_rest(anchor: np.ndarray, box: np.ndarray, still_frac: float, size_frac: float) -> bool:
    """Has the object in `box` stayed where it came to rest (`anchor`), at its own scale?"""
    aw, ah = anchor[2] - anchor[0], anchor[3] - anchor[1]
    w, h = box[2] - box[0], box[3] - box[1]
    if min(aw, ah, w, h) <= 0:
        return False
    size = max(aw, ah)
    dx = abs((box[0] + box[2]) / 2 - (anchor[0] + anchor[2]) / 2)
    dy = abs(box[3] - anchor[3])
    grown = max(abs(np.log(w / aw)), abs(np.log(h / ah)))
    return bool(dx <= still_frac * size and dy <= still_frac * size and grown <= np.log1p(size_frac))


class SidewalkEncroachmentRule:
    """Raises one `encroachment` violation per object at rest in `zone` for `dwell_s` seconds.

    Detections must carry a `category` column (see `categorize`) and boxes in the zone's pixels.
    - at rest: see `at_rest`; or partly hidden: a smaller box inside where it rested, seen just before;
    - the same object: same category, at rest there, and its own track, or (track lost) its picture;
    - left: not seen for `leave_after_s`, or its track is seen moving; the violation then ends.
    """

    type = "encroachment"

    def __init__(
        self,
        zone: PolygonZone,
        objects: set[str],
        dwell_s: float,
        leave_after_s: float = 30.0,
        min_observations: int = 2,
        use_static: bool | None = None,
        still_frac: float = 0.15,
        size_frac: float = 0.2,
        same_look: float = 0.5,
        origin_s: float = 3.0,
        observe_s: float = 1.5,
    ):
        self.zone = zone
        self.objects = set(objects)  # class names and/or categories
        self.dwell_s = dwell_s
        self.leave_after_s = leave_after_s
        self.min_observations = min_observations
        self.still_frac = still_frac
        self.size_frac = size_frac
        self.same_look = same_look
        self.origin_s = origin_s
        self.observe_s = observe_s
        # static regions stand for goods: used when the zone counts goods (or says so)
        self.use_static = (STATIC_CATEGORY in self.objects or STATIC_CLASS in self.objects) if use_static is None \
            else use_static
        self._places: list[_Resting] = []
        self._next_id = 1

    @property
    def active(self) -> list[Violation]:
        return [p.violation for p in self._places if p.violation is not None]

    def _candidates(self, obs: Observation) -> Detections:
        """Objects of the configured classes in the zone, plus static regions that no detection
        explains (goods, stools, stalls the detector has no class for), dated from when they
        came to rest."""
        d = obs.detections
        parts = []
        if len(d):
            cats = d.data.get(CATEGORY, d.class_name)
            wanted = np.isin(d.class_name, list(self.objects)) | np.isin(cats, list(self.objects))
            d = d[wanted & self.zone.trigger(d)]
            parts.append(Detections(d.xyxy, d.confidence, d.class_id, d.tracker_id, {
                CLASS_NAME: d.class_name, CATEGORY: d.data.get(CATEGORY, d.class_name),
                SINCE: np.full(len(d), obs.t), MOTION: np.zeros(len(d), np.float32)}))
        st = obs.static
        if self.use_static and len(st):
            st = st[(st.data[COVERED] < HIDDEN) & self.zone.trigger(st)]
            motion = st.data[MOTION] if MOTION in st.data else np.zeros(len(st), np.float32)
            parts.append(Detections(st.xyxy, st.confidence, st.class_id, None, {
                CLASS_NAME: st.class_name, CATEGORY: np.full(len(st), STATIC_CATEGORY, dtype=object),
                SINCE: st.data[APPEARED_AT], MOTION: motion}))
        if not parts:
            return Detections.empty(RESTING)
        return Detections.merge(parts)

    def _same(self, place: _Resting, box: np.ndarray, tid: int, t: float, obs: Observation,
              claimed: dict[int, int], pi: int) -> str | None:
        """Is the object in `box` (track `tid`) the resting object `place`? "still" (at rest
        there), "uncovered" (at rest, more of it in view), "shifted" (its own track, moved a
        little: the clock starts again), or None (another object)."""
        own = tid != NO_TRACK and tid in place.track_ids
        if not own:
            if tid != NO_TRACK and claimed.get(tid, pi) != pi:
                return None  # that track is another resting object
            if place.track_id != NO_TRACK and claimed.get(place.track_id, pi) != pi:
                return None
        how = self._still_there(place, box, t, obs)
        if how is None:
            iou, _ = overlap(box, place.anchor)
            return "shifted" if own and iou[0, 0] >= SHIFTED_IOU and not self._replaced(place, box, obs) else None
        if own:
            return None if how == "still" and self._replaced(place, box, obs) else how
        # a new track (or none) at the spot: the same object only if it looks the same
        return how if self._same_look(place, box, obs) else None

    def _replaced(self, place: _Resting, box: np.ndarray, obs: Observation) -> bool:
        """Its own track, but another object: the picture in clear view says so beyond doubt (a
        track can run on from one car to the next at the same spot when the picture jumps: a
        splice, a stalled stream). With something in front of it, the picture proves nothing."""
        if not self._looks_other(self._looks_same(place, box, obs)):
            return False
        others = obs.detections.xyxy
        if len(others):
            _, iomin = overlap(box, others)
            inter = iomin[0] * np.minimum(_area(box), (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1]))
            hidden = (inter >= IN_FRONT[0] * _area(box)) & (inter < IN_FRONT[1] * _area(box))  # not the box itself
            if hidden.any():
                return False
        return True

    def _looks_same(self, place: _Resting, box: np.ndarray, obs: Observation) -> float | None:
        """How much `box` shows what rested at `place` (1: the same; None: cannot be told). A box
        inside the one it rested in is compared with that part of the old picture, any other
        with the whole."""
        _, iomin = overlap(box, place.anchor)
        if iomin[0, 0] >= INSIDE and _area(box) < _area(place.anchor):
            return look(obs.image, box, part_of(place.template, place.anchor, box), obs.scale)
        return look(obs.image, place.anchor, place.template, obs.scale)

    def _same_look(self, place: _Resting, box: np.ndarray, obs: Observation) -> bool:
        score = self._looks_same(place, box, obs)
        return score is None or score >= self.same_look

    def _looks_other(self, score: float | None) -> bool:
        """Clearly another picture, beyond what light and a partial view explain; None is not."""
        return score is not None and score < self.same_look / 2

    def _still_there(self, place: _Resting, box: np.ndarray, t: float, obs: Observation) -> str | None:
        if at_rest(place.anchor, box, self.still_frac, self.size_frac):
            return "still"
        # partly hidden (a pedestrian in front of it): a smaller box inside the one it rested in,
        # just after it was seen whole
        _, iomin = overlap(box, place.anchor)
        smaller = _area(box) < _area(place.anchor)
        if smaller and iomin[0, 0] >= INSIDE and t - place.last_seen <= HIDDEN_FOR_S:
            return "still"
        # coming out from behind something: a larger box over where it rested, two of its edges
        # where they were and the part it rested in looking the same (an object coming towards the
        # camera grows on every side)
        kept = np.abs(box - place.anchor) <= EDGE_KEPT * max(place.anchor[2] - place.anchor[0],
                                                       place.anchor[3] - place.anchor[1])
        if not smaller and iomin[0, 0] >= INSIDE and kept.sum() >= 2 and (
                look(obs.image, place.anchor, place.template, obs.scale) or 0.0) >= self.same_look:
            return "uncovered"
        return None

    def update(self, obs: Observation) -> list[RuleEvent]:
        t = obs.t
        d = self._candidates(obs)
        events: list[RuleEvent] = []
        cats = d.data[CATEGORY]
        # each track belongs to at most one resting object
        claimed = {tid: pi for pi, p in enumerate(self._places) for tid in p.track_ids}
        matched_places: set[int] = set()
        matched_dets: set[int] = set()
        if len(d) and self._places:
            iou, iomin = overlap(d.xyxy, np.stack([p.anchor for p in self._places]))
            order = np.dstack(np.unravel_index(np.argsort(-(iou + TIE_BREAK * iomin), axis=None), iou.shape))[0]
            for di, pi in order:
                if di in matched_dets or pi in matched_places or iomin[di, pi] <= 0:
                    continue
                place = self._places[pi]
                if cats[di] != place.category:
                    continue
                tid = int(d.tracker_id[di])
                how = self._same(place, d.xyxy[di], tid, t, obs, claimed, int(pi))
                if how is None:
                    continue
                self._seen_again(place, d, int(di), t, obs)
                if how == "uncovered" or (how == "shifted" and place.violation is None):
                    # rest from here (the clock starts again for one that moved), seen whole
                    place.anchor = d.xyxy[di].copy()
                    place.template = patch(obs.image, place.anchor, obs.scale)
                    if how == "shifted":
                        place.still_since = t
                if tid != NO_TRACK:
                    claimed[tid] = int(pi)
                matched_places.add(int(pi))
                matched_dets.add(int(di))
        moving_tracks = {int(d.tracker_id[di]) for di in range(len(d))
                         if di not in matched_dets and d.tracker_id[di] != NO_TRACK}
        newcomers = [self._new_place(d, di, t, obs) for di in range(len(d)) if di not in matched_dets]
        self._places += newcomers
        keep: list[_Resting] = []
        for i, place in enumerate(self._places):
            if i not in matched_places and place.last_seen < t and (
                    self._has_left(place, moving_tracks, t) or self._taken_over(place, newcomers, obs)):
                heir = self._same_spot(place, t, newcomers) if place.violation is not None else None
                if heir is not None:
                    heir.violation, place.violation = place.violation, None  # its track left; it did not
                    heir.still_since = min(heir.still_since, place.still_since)
                elif place.violation is not None:
                    events.append(self._end(place, "left"))
                continue
            keep.append(place)
        self._places = keep
        for place in self._places:
            if (
                place.violation is None
                and not place.orphan
                and place.last_seen == t
                and place.seen >= self.min_observations
                and t - place.still_since >= self.dwell_s
                and (not place.static or self._judged(place, t))
                and not self._duplicate_of_alerted(place)
            ):
                events.append(self._raise(place, t))
        return events

    def _same_spot(self, place: _Resting, t: float, newcomers: list[_Resting]) -> _Resting | None:
        """Another resting object of its kind, seen now where it rested (IoU >= 0.7) and known
        before now: the same object followed under another track (at a few pixels per car,
        tracks swap). One that turned up just now, told apart from it, is not."""
        for other in self._places:
            if other is not place and other.violation is None and other.last_seen == t \
                    and other.category == place.category and not any(other is n for n in newcomers):
                iou, _ = overlap(other.anchor, place.anchor)
                if iou[0, 0] >= SAME_SPOT_IOU:
                    return other
        return None

    def _judged(self, place: _Resting, t: float) -> bool:
        """A static region stands for goods once it has been watched for `observe_s` and is in
        clear view now: a slowly walking person, or a slow queue, leaves static pixels too, but
        they keep changing."""
        return t - place.first_seen >= self.observe_s and place.motion < MOVING

    def _seen_again(self, place: _Resting, d: Detections, di: int, t: float, obs: Observation) -> None:
        place.box = d.xyxy[di].copy()
        place.last_seen = t
        place.seen += 1
        place.confidence = max(place.confidence, float(d.confidence[di]))
        place.motion = float(d.data[MOTION][di])
        tid = int(d.tracker_id[di])
        if tid != NO_TRACK:
            place.track_id = tid
            place.track_ids.add(tid)
        if place.static and d.data[MOTION][di] < MOVING:
            # goods stay as they were set out: a region whose picture changes is traffic that only
            # looked static, or people; its clock starts again
            score = look(obs.image, place.anchor, place.template, obs.scale)
            if score is not None and score < self.same_look:
                place.template, place.still_since = patch(obs.image, place.anchor, obs.scale), t

    def _new_place(self, d: Detections, di: int, t: float, obs: Observation) -> _Resting:
        tid = int(d.tracker_id[di])
        box = d.xyxy[di].copy()
        place = _Resting(
            anchor=box.copy(), box=box, category=str(d.data[CATEGORY][di]), class_name=str(d.class_name[di]),
            confidence=float(d.confidence[di]), track_id=tid, still_since=self._since(d, di, t),
            last_seen=t, track_ids={tid} if tid != NO_TRACK else set(), template=patch(obs.image, box, obs.scale),
            first_seen=t, motion=float(d.data[MOTION][di]),
        )
        if place.static and obs.presence is not None:
            # goods are set out by somebody who stops there: with nobody at that spot for more than
            # a passing moment when it appeared, it is not goods (a slowly walking person too small
            # to detect, light, the edge of a passing lorry)
            at_spot = obs.presence.near(box, 0.0, place.still_since - self.origin_s, t)
            place.orphan = len(at_spot) < 2
        return place

    def _since(self, d: Detections, di: int, t: float) -> float:
        """When a newly seen object came to rest: now, or for a static region when its pixels
        became static, but not more than `observe_s` before it showed as a region here (a slowly
        moving blob keeps old static pixels in its trail: its age is not this place's)."""
        since = min(t, float(d.data[SINCE][di]))
        return max(since, t - self.observe_s) if d.class_name[di] == STATIC_CLASS else since

    def _has_left(self, place: _Resting, moving_tracks: set[int], t: float) -> bool:
        if t - place.last_seen >= self.leave_after_s:
            return True
        # its own track, seen this frame but not at rest where it stood: it drove off
        return place.track_id != NO_TRACK and place.track_id in moving_tracks

    def _taken_over(self, place: _Resting, newcomers: list[_Resting], obs: Observation) -> bool:
        """Another object of its kind now stands where it stood, and the spot looks nothing like
        it did: it has gone, though nobody saw it go."""
        for other in newcomers:
            if other.category == place.category and not other.static:
                iou, _ = overlap(other.anchor, place.anchor)
                if iou[0, 0] >= TAKEN_OVER_IOU:
                    return self._looks_other(look(obs.image, place.anchor, place.template, obs.scale))
        return False

    def _duplicate_of_alerted(self, place: _Resting) -> bool:
        for other in self._places:
            if other is place or other.violation is None:
                continue
            # a static region may be a detected object seen another way: any category then
            if other.category != place.category and STATIC_CLASS not in (other.class_name, place.class_name):
                continue
            iou, iomin = overlap(place.anchor, other.anchor)
            if iou[0, 0] >= DUPLICATE[0] or iomin[0, 0] >= DUPLICATE[1]:
                return True
        return False

    def _raise(self, place: _Resting, t: float) -> RuleEvent:
        x1, y1, x2, y2 = (float(v) for v in place.box)
        place.violation = Violation(
            id=self._next_id,
            type="encroachment",
            zone=self.zone.name,
            category=place.category,
            class_name=place.class_name,
            bbox=(x1, y1, x2, y2),
            confidence=place.confidence,
            track_id=place.track_id,
            started_at=place.still_since,
            raised_at=t,
            params={"dwell_s": self.dwell_s, "objects": sorted(self.objects)},
        )
        self._next_id += 1
        return RuleEvent.of("raised", place.violation)

    def _end(self, place: _Resting, reason: str) -> RuleEvent:
        return place.violation.end(place.last_seen, reason)

    def restore(self, violation: Violation, t: float) -> None:
        """Remembers an active violation raised before a restart: the object is expected where it
        was; if it is not seen again within `leave_after_s`, the violation ends as left."""
        box = np.asarray(violation.bbox, np.float32)
        violation.id = self._next_id
        self._next_id += 1
        self._places.append(
            _Resting(
                anchor=box.copy(),
                box=box,
                category=violation.category,
                class_name=violation.class_name,
                confidence=violation.confidence,
                track_id=NO_TRACK,
                still_since=violation.started_at,
                last_seen=t,
                seen=self.min_observations,
                violation=violation,
            )
        )

