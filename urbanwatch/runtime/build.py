"""Configuration to stage objects: the one place that knows both."""

from __future__ import annotations

from streams.camera import CameraSource
from vision.analyzer import CameraAnalyzer
from vision.hard_negatives import HardNegativeGate, HardNegatives
from vision.permits import Permit, ScheduledRule, WeeklyHours
from vision.rules import DumpingRule, SidewalkEncroachmentRule
from vision.scheduling import DetectionScheduler
from vision.static_objects import StaticObjectDetector, StaticParams
from vision.tiling import TilePlanner
from vision.tracking import ObjectTracker
from vision.zones import PolygonZone

from ..config import CameraConfig, Settings


def config_zones(settings: Settings, camera: CameraConfig) -> list[dict]:
    """A camera's zones as stored: name, kind, polygon, params (the form the console edits)."""
    return [{"name": z.name, "kind": z.kind, "polygon": [list(p) for p in z.polygon],
             "params": z.params} for z in camera.zones]


def build_rule(settings: Settings, z: dict, memory: HardNegatives | None = None):
    """A zone's rule, behind its schedule and permits when it has them, and behind the camera's
    hard-negative memory (`memory`, shared by the camera's rules) when given."""
    rule = _bare_rule(settings, z)
    params = z["params"]
    if params.get("schedule") or params.get("permits"):
        schedule = WeeklyHours.from_dict(params["schedule"]) if params.get("schedule") else None
        permits = [Permit.from_dict(p) for p in params.get("permits", [])]
        rule = ScheduledRule(rule, schedule, permits, settings.timezone)
    return rule if memory is None else HardNegativeGate(rule, memory)


def _bare_rule(settings: Settings, z: dict):
    zone = PolygonZone(z["name"], z["kind"], z["polygon"])
    params = z["params"]
    rules = settings.rules
    if z["kind"] == "sidewalk":
        objects = set(params["objects"]) | settings.object_classes(params["objects"])
        return SidewalkEncroachmentRule(zone, objects, params["dwell_s"], still_frac=rules.encroachment.stillness,
                                        same_look=rules.encroachment.same_look)
    return DumpingRule(zone, params["unattended_s"], max_motion=rules.dumping.clear_view,
                       split_s=settings.static_objects.split_s, checks=frozenset(rules.dumping.checks))


def build_static(settings: Settings) -> StaticObjectDetector:
    params = settings.static_objects.model_dump()
    params["explanations"] = frozenset(params["explanations"])
    return StaticObjectDetector(StaticParams(**params))


def build_scheduler(settings: Settings, zones: list[dict]) -> DetectionScheduler | None:
    det = settings.detector
    if not det.tiles:
        return None
    return DetectionScheduler(TilePlanner(det.imgsz, det.max_tiles), [z["polygon"] for z in zones], det.recheck_s)


def build_analyzer(settings: Settings, camera: CameraConfig, zones: list[dict] | None = None,
                   memory: HardNegatives | None = None) -> CameraAnalyzer:
    """The per-camera chain; zones as stored (default: the camera's configured zones); `memory`:
    the camera's hard-negative memory, when it follows one."""
    zones = config_zones(settings, camera) if zones is None else zones
    return CameraAnalyzer(
        settings.detector.class_to_category(),
        ObjectTracker(fps=camera.detect.fps),
        [build_rule(settings, z, memory) for z in zones],
        build_static(settings),
        build_scheduler(settings, zones),
    )


def _ingest_options(settings: Settings) -> dict:
    ing = settings.ingest
    return {"open_timeout_s": ing.open_timeout_s, "read_timeout_s": ing.read_timeout_s,
            "offline_after_s": ing.offline_after_s, "backoff_initial_s": ing.backoff_initial_s,
            "backoff_max_s": ing.backoff_max_s}


def build_source(settings: Settings, camera: CameraConfig, keep_s: float = 0.0) -> CameraSource:
    """The stream decoded for detection; it also keeps the packets for clips (keep_s) unless the
    camera has a recording stream of its own (see build_recording)."""
    source = CameraSource(camera.id, camera.url, size=camera.detect.size,
                          keep_s=0.0 if camera.record_url else keep_s, **_ingest_options(settings))
    source.target_fps = camera.detect.fps
    return source


def build_recording(settings: Settings, camera: CameraConfig, keep_s: float) -> CameraSource | None:
    """The camera's main stream, read for clips only (never decoded); None without one, or with
    clips off."""
    if not camera.record_url or keep_s <= 0:
        return None
    return CameraSource(camera.id, camera.record_url, keep_s=keep_s, decode=False, **_ingest_options(settings))


OPTIONAL_CLASSES = ("person",)  # owners and vetoes, where the model knows people


def detector_classes(settings: Settings) -> set[str]:
    """The detector reports the classes of the configured categories (and OPTIONAL_CLASSES): any
    zone, including one drawn later in the console, can count them."""
    return set(settings.detector.configured_classes())


def learned_classes(settings: Settings) -> set[str]:
    """The office's own classes (a model from `urbanwatch train` reports them instead of COCO's)."""
    return set(settings.detector.class_to_category()) - set(settings.detector.configured_classes())
