"""One camera's chain after detection: categories, tracking, static regions, zone rules."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .categories import categorize
from .detections import Detections
from .observation import Observation
from .static_objects import StaticObjectDetector
from .tracking import ObjectTracker
from .violations import RuleEvent, Violation

# Static regions under these are the people or vehicles themselves, standing still.
COVERING_CATEGORIES = ("person", "vehicle")


class ZoneRule(Protocol):
    type: str
    active: list[Violation]

    def update(self, obs: Observation) -> list[RuleEvent]: ...

    def restore(self, violation: Violation, t: float) -> None: ...


def coverage(regions: Detections, covers: Detections, grow: float = 0.1) -> np.ndarray:
    """Share of each region's box under the largest covering box (boxes grown by `grow`)."""
    if not len(regions) or not len(covers):
        return np.zeros(len(regions), np.float32)
    w, h = covers.width[:, None], covers.height[:, None]
    grown = covers.xyxy + np.hstack([-grow * w, -grow * h, grow * w, grow * h])
    lt = np.maximum(regions.xyxy[:, None, :2], grown[None, :, :2])
    rb = np.minimum(regions.xyxy[:, None, 2:], grown[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    area = (regions.width * regions.height)[:, None]
    return (inter / np.maximum(area, 1e-6)).max(axis=1).astype(np.float32)


class CameraAnalyzer:
    """Detections of one frame (camera pixels), its picture and time in; tracked detections and
    the rules' events out. Keeps per-camera state between frames."""

    def __init__(
        self,
        class_to_category: dict[str, str],
        tracker: ObjectTracker | None,
        rules: list[ZoneRule],
        static: StaticObjectDetector | None = None,
    ):
        self.class_to_category = class_to_category
        self.tracker = tracker
        self.rules = rules
        self.static = static

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
                for v in old.active:
                    v.ended_at, v.end_reason = t, reason
                    ended.append(RuleEvent.of("ended", v))
        self.rules = rules
        return ended

    def observe(
        self, detections: Detections, t: float, image: np.ndarray | None = None, scale=(1.0, 1.0)
    ) -> Observation:
        d = categorize(detections, self.class_to_category)
        if self.tracker is not None:
            d = self.tracker.update(d)
        regions, reset = _no_static(), False
        if self.static is not None and image is not None and self.needs_static:
            covers = d[np.isin(d.data["category"], COVERING_CATEGORIES)]
            resets = self.static.resets
            regions = self.static.update(image, t, hold=covers.scaled(*scale).xyxy)
            regions = regions.scaled(1 / scale[0], 1 / scale[1])
            reset = self.static.resets != resets
            regions = regions.with_data(covered=coverage(regions, covers))
        return Observation(t, d, regions, image, scale, reset)

    def update(
        self, detections: Detections, t: float, image: np.ndarray | None = None, scale=(1.0, 1.0)
    ) -> tuple[Observation, list[RuleEvent]]:
        obs = self.observe(detections, t, image, scale)
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
    return Detections.empty().with_data(
        class_name=np.zeros(0, object), appeared_at=np.zeros(0), motion=np.zeros(0, np.float32),
        covered=np.zeros(0, np.float32),
    )
