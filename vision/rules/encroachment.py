"""Sidewalk encroachment: an object of the configured classes at rest in a sidewalk zone for `dwell_s`.

State is kept per *place*, not per track: a parked car whose track is lost behind a passing bus
and found again under a new id is still the same object at the same place, so it keeps its dwell
time and raises no second alert. Tracks only speed up noticing that an object has left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..detections import NO_TRACK, Detections
from ..matching import greedy_match, overlap
from ..observation import Observation
from ..static_objects import STATIC_CLASS
from ..violations import RuleEvent, Violation
from ..zones import PolygonZone

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


class SidewalkEncroachmentRule:
    """Raises one `encroachment` violation per object at rest in `zone` for `dwell_s` seconds.

    Detections must carry a `category` column (see `categorize`) and boxes in the zone's pixels.
    - at rest: the box overlaps the box where the object stopped with IoU >= `rest_iou`;
    - the same object: same category at the same place (IoU >= `rest_iou`, or the smaller box
      mostly inside the other, as when a passer-by hides half of a car);
    - left: not seen for `leave_after_s`, or its track is seen elsewhere; the violation then ends.
    """

    type = "encroachment"

    def __init__(
        self,
        zone: PolygonZone,
        objects: set[str],
        dwell_s: float,
        rest_iou: float = 0.5,
        leave_after_s: float = 30.0,
        min_observations: int = 2,
        use_static: bool | None = None,
    ):
        self.zone = zone
        self.objects = set(objects)  # class names and/or categories
        self.dwell_s = dwell_s
        self.rest_iou = rest_iou
        self.leave_after_s = leave_after_s
        self.min_observations = min_observations
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
            cats = d.data.get("category", d.class_name)
            wanted = np.isin(d.class_name, list(self.objects)) | np.isin(cats, list(self.objects))
            d = d[wanted & self.zone.trigger(d)]
            parts.append(Detections(d.xyxy, d.confidence, d.class_id, d.tracker_id, {
                "class_name": d.class_name, "category": d.data.get("category", d.class_name),
                "since": np.full(len(d), obs.t)}))
        st = obs.static
        if self.use_static and len(st):
            st = st[(st.data["covered"] < 0.5) & self.zone.trigger(st)]
            parts.append(Detections(st.xyxy, st.confidence, st.class_id, None, {
                "class_name": st.class_name, "category": np.full(len(st), STATIC_CATEGORY, dtype=object),
                "since": st.data["appeared_at"]}))
        if not parts:
            return Detections.empty().with_data(class_name=np.zeros(0, object), category=np.zeros(0, object),
                                                since=np.zeros(0))
        return Detections.merge(parts)

    def update(self, obs: Observation) -> list[RuleEvent]:
        t = obs.t
        d = self._candidates(obs)
        events: list[RuleEvent] = []
        cats = d.data["category"]
        matched_places: set[int] = set()
        if len(d) and self._places:
            anchors = np.stack([p.anchor for p in self._places])
            iou, iomin = overlap(d.xyxy, anchors)
            same_cat = np.array([[c == p.category for p in self._places] for c in cats], bool)
            # A smaller box inside a place is that object partly hidden, if the place was seen just
            # before; a place not seen for a while only takes a box that overlaps it well (else a
            # new car parking inside the box of one that left would inherit its dwell or silence).
            recent = np.array([t - p.last_seen <= 1.0 for p in self._places], bool)[None, :]
            allowed = same_cat & ((iou >= self.rest_iou) | ((iomin >= 0.8) & recent))
            pairs = greedy_match(iou + iomin * 0.01, allowed)
        else:
            pairs = []
        matched_dets = set()
        for di, pi in pairs:
            place = self._places[pi]
            place.box = d.xyxy[di].copy()
            place.last_seen = t
            place.seen += 1
            place.confidence = max(place.confidence, float(d.confidence[di]))
            tid = int(d.tracker_id[di])
            if tid != NO_TRACK:
                place.track_id = tid
                place.track_ids.add(tid)
            matched_places.add(pi)
            matched_dets.add(di)
        seen_tracks = {int(tid): i for i, tid in enumerate(d.tracker_id) if tid != NO_TRACK}
        for di in range(len(d)):
            if di in matched_dets:
                continue
            tid = int(d.tracker_id[di])
            self._places.append(
                _Resting(
                    anchor=d.xyxy[di].copy(),
                    box=d.xyxy[di].copy(),
                    category=str(cats[di]),
                    class_name=str(d.class_name[di]),
                    confidence=float(d.confidence[di]),
                    track_id=tid,
                    still_since=min(t, float(d.data["since"][di])),
                    last_seen=t,
                    track_ids={tid} if tid != NO_TRACK else set(),
                )
            )
        keep: list[_Resting] = []
        for i, place in enumerate(self._places):
            if i not in matched_places and place.last_seen < t and self._has_left(place, d, seen_tracks, t):
                if place.violation is not None:
                    events.append(self._end(place, "left"))
                continue
            keep.append(place)
        self._places = keep
        for place in self._places:
            if (
                place.violation is None
                and place.last_seen == t
                and place.seen >= self.min_observations
                and t - place.still_since >= self.dwell_s
                and not self._duplicate_of_alerted(place)
            ):
                events.append(self._raise(place, t))
        return events

    def _has_left(self, place: _Resting, d: Detections, seen_tracks: dict[int, int], t: float) -> bool:
        if t - place.last_seen >= self.leave_after_s:
            return True
        # Its own track, seen this frame away from where it rested: it drove off.
        tid = place.track_id
        if tid != NO_TRACK and tid in seen_tracks:
            iou, _ = overlap(d.xyxy[seen_tracks[tid]], place.anchor)
            return bool(iou[0, 0] < 0.1)
        return False

    def _duplicate_of_alerted(self, place: _Resting) -> bool:
        for other in self._places:
            if other is place or other.violation is None:
                continue
            # a static region may be a detected object seen another way: any category then
            if other.category != place.category and STATIC_CLASS not in (other.class_name, place.class_name):
                continue
            iou, iomin = overlap(place.anchor, other.anchor)
            if iou[0, 0] >= 0.3 or iomin[0, 0] >= 0.6:
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

    def close(self, t: float) -> list[RuleEvent]:
        """End every active violation (the camera is being stopped or its zone changed)."""
        events = [self._end(p, "stopped") for p in self._places if p.violation is not None]
        self._places = []
        return events
