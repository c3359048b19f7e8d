"""Shadow mode: a candidate model beside the live one. On a share of each camera's analysed frames
it runs with its own analyzers (the camera's zones and rules, at the reduced rate), and what it
would have raised is stored in shadow_alerts, never shown to operators: the registry compares it
with the live model's events (agreed, extra, missed) before anyone promotes it.

It runs on the worker's own thread after the live frame, so it costs the worker `share` of a
detector run per frame; the live model's batches keep running meanwhile."""

from __future__ import annotations

import logging
from collections.abc import Callable

from models import Database
from models.registry import add_shadow_alert, end_shadow_alert
from models.types import from_epoch
from vision.analyzer import CameraAnalyzer
from vision.detector import YoloDetector
from vision.violations import RuleEvent

from ..config import CameraConfig, Settings
from .build import build_analyzer
from .detection import FrameJob, analyse
from .model_choice import ModelChoice

log = logging.getLogger(__name__)


class Shadow:
    def __init__(self, settings: Settings, choice: ModelChoice, detector: YoloDetector, db: Database, worker: str):
        self.settings = settings
        self.choice = choice
        self.detector = detector
        self.db = db
        self.worker = worker
        self.every = max(1, round(1 / choice.share))  # 25 %: every 4th analysed frame
        self._analyzers: dict[str, CameraAnalyzer] = {}
        self._seen: dict[str, int] = {}
        self._open: dict[tuple[str, str, int], int] = {}  # (camera, zone, violation id) -> shadow alert id
        self.failures = 0

    def _analyzer(self, camera: CameraConfig, zones: list[dict]) -> CameraAnalyzer:
        a = self._analyzers.get(camera.id)
        if a is None:
            slower = camera.detect.model_copy(update={"fps": camera.detect.fps / self.every})
            a = build_analyzer(self.settings, camera.model_copy(update={"detect": slower}), zones)
            self._analyzers[camera.id] = a
        return a

    def zones_changed(self, camera_id: str) -> None:
        """The camera's zones changed: its shadow analyzer starts again on the new ones."""
        self._analyzers.pop(camera_id, None)

    def observe(self, camera: CameraConfig, zones: list[dict], image, t: float, scale: tuple[float, float],
                on_error: Callable | None = None) -> list[RuleEvent]:
        """One live-analysed frame of `camera`; every `every`-th goes to the shadow model."""
        n = self._seen[camera.id] = self._seen.get(camera.id, 0) + 1
        if (n - 1) % self.every:
            return []
        job = FrameJob(self._analyzer(camera, zones), image, t, scale, camera.id)
        result = analyse(self.detector, [job], on_error)[0]
        if result is None or not result.events:
            return []
        self._store(camera.id, result.events)
        return result.events

    def _store(self, camera_id: str, events: list[RuleEvent]) -> None:
        with self.db.write() as s:
            for ev in events:
                v = ev.violation
                key = (camera_id, v.zone, v.id)
                if ev.kind == "raised":
                    a = add_shadow_alert(s, self.choice.registry_id, camera_id, zone=v.zone, type=v.type,
                                         category=v.category, class_name=v.class_name, bbox=list(v.bbox),
                                         started_at=from_epoch(v.started_at), raised_at=from_epoch(v.raised_at))
                    self._open[key] = a.id
                    log.info("%s: shadow model %s would raise %s on %s/%s", self.worker, self.choice.version,
                             v.type, camera_id, v.zone)
                elif key in self._open:
                    end_shadow_alert(s, self._open.pop(key), from_epoch(v.ended_at or v.raised_at))
