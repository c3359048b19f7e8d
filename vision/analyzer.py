"""One camera's chain after detection: categories, tracking, zone rules."""

from __future__ import annotations

from typing import Protocol

from .categories import categorize
from .detections import Detections
from .tracking import ObjectTracker
from .violations import RuleEvent, Violation


class ZoneRule(Protocol):
    type: str

    def update(self, detections: Detections, t: float) -> list[RuleEvent]: ...

    def restore(self, violation: Violation, t: float) -> None: ...


class CameraAnalyzer:
    """Detections of one frame (camera pixels) and its time in; tracked detections and the
    rules' events out. Keeps per-camera state between frames."""

    def __init__(self, class_to_category: dict[str, str], tracker: ObjectTracker | None, rules: list[ZoneRule]):
        self.class_to_category = class_to_category
        self.tracker = tracker
        self.rules = rules

    def update(self, detections: Detections, t: float) -> tuple[Detections, list[RuleEvent]]:
        d = categorize(detections, self.class_to_category)
        if self.tracker is not None:
            d = self.tracker.update(d)
        events: list[RuleEvent] = []
        for rule in self.rules:
            events.extend(rule.update(d, t))
        return d, events

    def restore(self, violations: list[Violation], t: float) -> None:
        """Re-arms still-active violations after a restart, so the objects are not alerted twice."""
        by_zone = {r.zone.name: r for r in self.rules}
        for v in violations:
            rule = by_zone.get(v.zone)
            if rule is not None and rule.type == v.type:
                rule.restore(v, t)
