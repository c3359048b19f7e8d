"""One camera's chain after detection: categories, tracking, static regions, zone rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .categories import categorize, one_box_per_object
from .detections import CATEGORY, COVERED, OBSERVED_STATIC, Detections
from .observation import Observation
from .presence import Presence
from .scheduling import DetectionScheduler, zone_regions
from .static_objects import StaticObjectDetector
from .tiling import Tile, merge_tiles
from .tracking import ObjectTracker
from .violations import RuleEvent, Violation

# Static regions under these are the people or vehicles themselves, standing still.
COVERING_CATEGORIES = ("person", "vehicle")
HOLD_S = 1.0  # a person or vehicle missed by the detector for a frame or two is still there


class ZoneRule(Protocol):
    type: str
    active: list[Violation]

    def update(self, obs: Observation) -> list[RuleEvent]: ...

    def restore(self, violation: Violation, t: float) -> None: ...


def coverage(regions: Detections, covers: np.ndarray, grow: float = 0.1) -> np.ndarray:
    """Share of each region's box under the largest covering box (xyxy, grown by `grow`)."""
    if not len(regions) or not len(covers):
        return np.zeros(len(regions), np.float32)
    w, h = (covers[:, 2] - covers[:, 0])[:, None], (covers[:, 3] - covers[:, 1])[:, None]
    grown = covers + np.hstack([-grow * w, -grow * h, grow * w, grow * h])
    lt = np.maximum(regions.xyxy[:, None, :2], grown[None, :, :2])
    rb = np.minimum(regions.xyxy[:, None, 2:], grown[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    area = (regions.width * regions.height)[:, None]
    return (inter / np.maximum(area, 1e-6)).max(axis=1).astype(np.float32)


@dataclass(frozen=True)
class Plan:
    """What `plan()` decided for one frame, handed to `update()` with the detector's results:
    where the detector looks (`tiles`; None: the whole frame), and what the static-object stage
    found on the way (None: it did not run, `update()` runs it)."""

    t: float
    tiles: list[Tile] | None
    regions: Detections | None = None
    reset: bool = False  # the static stage saw a cut


class CameraAnalyzer:
    """Detections of one frame (camera pixels), its picture and time in; tracked detections and
    the rules' events out. Keeps per-camera state between frames."""

    def __init__(
        self,
        class_to_category: dict[str, str],
        tracker: ObjectTracker | None,
        rules: list[ZoneRule],
        static: StaticObjectDetector | None = None,
        scheduler: DetectionScheduler | None = None,
    ):
        self.class_to_category = class_to_category
        self.tracker = tracker
        self.rules = rules
        self.static = static
        self.scheduler = scheduler  # None: the detector sees whole frames
        self._hold = np.zeros((0, 4), np.float32)  # people and vehicles of the last HOLD_S, image pixels
        self._covers: list[tuple[float, np.ndarray]] = []  # (t, boxes) of the last HOLD_S
        self.presence = Presence()  # people and vehicles of the last seconds, camera pixels
        self._roi = (0, 0, 0, 0)  # of the static stage at its last run, image pixels
        self._names: dict[int, str] = {}  # detector class ids seen, to their names

    @property
    def needs_static(self) -> bool:
        """The static-object stage feeds dumping, and encroachment by goods without a class."""
        return any(r.type == "dumping" or getattr(r, "use_static", False) for r in self.rules)

    def set_rules(self, rules: list[ZoneRule], t: float, reason: str = "zone_changed") -> list[RuleEvent]:
        """New zone rules (a zone edited live). Rules kept as they are keep their state; the
        violations of rules that go are ended with `reason`."""
        keep = {id(r) for r in rules}
        ended = []
        for old in self.rules:
            if id(old) not in keep:
                ended.extend(v.end(t, reason) for v in old.active)
        self.rules = rules
        return ended

    def static_roi(self, width: int, height: int, scale) -> tuple[int, int, int, int]:
        """The part of the picture the static stage watches: the zones, widened as the detector's
        look is (objects stand in a zone and rise above it). Nothing outside it can raise
        anything, and a smaller picture is cheaper or seen in more detail."""
        boxes = zone_regions([r.zone.polygon for r in self.rules], width, height, scale)
        if not boxes:
            return 0, 0, width, height
        x0, y0 = (int(min(b[i] for b in boxes)) for i in (0, 1))
        x1, y1 = (int(np.ceil(max(b[i] for b in boxes))) for i in (2, 3))
        return max(0, x0), max(0, y0), min(width, x1), min(height, y1)

    def _static_stage(self, image: np.ndarray, t: float, scale, hold: np.ndarray) -> tuple[Detections, bool]:
        x0, y0, x1, y1 = self._roi = self.static_roi(image.shape[1], image.shape[0], scale)
        shift = np.array([x0, y0, x0, y0], np.float32)
        resets = self.static.resets
        found = self.static.update(image[y0:y1, x0:x1], t, hold=hold - shift if len(hold) else hold,
                                   frame_width=image.shape[1])
        regions = Detections(found.xyxy + shift, found.confidence, found.class_id, found.tracker_id, found.data)
        return regions.scaled(1 / scale[0], 1 / scale[1]), self.static.resets != resets

    def plan(self, image: np.ndarray, t: float, scale=(1.0, 1.0)) -> Plan:
        """Where the detector should look in this frame. With a scheduler, the static-object
        stage runs first: it also says what moved; its regions travel in the plan."""
        if self.scheduler is None:
            return Plan(t, None)
        regions, reset = self._static_stage(image, t, scale, self._hold)
        h, w = image.shape[:2]
        x0, y0, x1, y1 = self._roi
        moved = self.static.motion_boxes(x1 - x0, y1 - y0)
        if moved is not None:
            moved = [(a + x0, b + y0, c + x0, d + y0) for a, b, c, d in moved]
        return Plan(t, self.scheduler.plan(w, h, scale, t, moved), regions, reset)

    def update_tiles(
        self, plan: Plan, results: list[Detections], image: np.ndarray, scale=(1.0, 1.0)
    ) -> tuple[Observation, list[RuleEvent]]:
        """The detector's results for the tiles of `plan` (tile pixels)."""
        fresh = merge_tiles([tile.to_image(d) for tile, d in zip(plan.tiles, results, strict=True)])
        seen = self.scheduler.carry(fresh, plan.tiles, plan.t)
        return self.update(seen.scaled(1 / scale[0], 1 / scale[1]), plan.t, image, scale, plan)

    def observe(
        self, detections: Detections, t: float, image: np.ndarray | None = None, scale=(1.0, 1.0),
        plan: Plan | None = None,
    ) -> Observation:
        regions, reset = _no_static(), False
        if plan is not None and plan.regions is not None:
            regions, reset = plan.regions, plan.reset
        elif self.static is not None and image is not None and self.needs_static:
            regions, reset = self._static_stage(image, t, scale, self._hold)
        d = one_box_per_object(categorize(detections, self.class_to_category))
        if self.tracker is not None:
            if reset:
                self.tracker.reset()  # a cut: nothing before it is the same object by position
            d = self.tracker.update(d)
        covers = d[np.isin(d.data[CATEGORY], COVERING_CATEGORIES)]
        self.presence.add(t, covers.xyxy)
        covering = np.concatenate([covers.xyxy, self._standing_unseen(d)])
        self._covers = [(ts, b) for ts, b in self._covers if t - ts < HOLD_S] + [(t, covering * np.array(
            [*scale, *scale], np.float32))]
        self._hold = np.concatenate([b for _, b in self._covers])
        if not self.needs_static:
            regions = _no_static()
        elif len(regions) or COVERED not in regions.data:
            regions = regions.with_data(**{COVERED: coverage(regions, covering)})
        return Observation(t, d, regions, image, scale, reset, self.presence)

    def _standing_unseen(self, d: Detections) -> np.ndarray:
        """People and vehicles that stood still and that the detector has lost for now: still
        there (their pixels are theirs, not a left object)."""
        self._names.update(zip(d.class_id.tolist(), d.class_name.tolist(), strict=True))
        if self.tracker is None:
            return np.zeros((0, 4), np.float32)
        boxes, classes = self.tracker.standing_unseen()
        names = [self._names.get(int(c), "") for c in classes]
        covering = [n in COVERING_CATEGORIES or self.class_to_category.get(n) in COVERING_CATEGORIES for n in names]
        return boxes[np.array(covering, bool)]

    def update(
        self, detections: Detections, t: float, image: np.ndarray | None = None, scale=(1.0, 1.0),
        plan: Plan | None = None,
    ) -> tuple[Observation, list[RuleEvent]]:
        obs = self.observe(detections, t, image, scale, plan)
        events: list[RuleEvent] = []
        for rule in self.rules:
            events.extend(rule.update(obs))
        return obs, events

    def restore(self, violations: list[Violation], t: float) -> None:
        """Re-arms still-active violations after a restart, so the objects are not alerted twice."""
        by_zone = {r.zone.name: r for r in self.rules}
        for v in violations:
            rule = by_zone.get(v.zone)
            if rule is not None and rule.type == v.type:
                rule.restore(v, t)


def _no_static() -> Detections:
    return Detections.empty(OBSERVED_STATIC)
