"""Configuration to stage objects: the one place that knows both."""

from __future__ import annotations

from streams.camera import CameraSource
from vision.analyzer import CameraAnalyzer
from vision.rules import DumpingRule, SidewalkEncroachmentRule
from vision.static_objects import StaticObjectDetector
from vision.tracking import ObjectTracker
from vision.zones import PolygonZone

from ..config import CameraConfig, Settings


def zone_params(settings: Settings, zone) -> dict:
    if zone.kind == "sidewalk":
        return {"objects": list(zone.objects), "dwell_s": zone.dwell_s}
    return {"unattended_s": zone.unattended_s}


def build_rules(settings: Settings, camera: CameraConfig) -> list:
    rules = []
    for z in camera.zones:
        zone = PolygonZone(z.name, z.kind, z.polygon)
        if z.kind == "sidewalk":
            objects = set(z.objects) | settings.object_classes(z.objects)
            rules.append(SidewalkEncroachmentRule(zone, objects, z.dwell_s))
        else:
            rules.append(DumpingRule(zone, z.unattended_s))
    return rules


def build_analyzer(settings: Settings, camera: CameraConfig) -> CameraAnalyzer:
    rules = build_rules(settings, camera)
    # the static-object stage feeds dumping, and encroachment by goods the detector has no class for
    needs_static = any(isinstance(r, DumpingRule) or r.use_static for r in rules)
    return CameraAnalyzer(
        settings.detector.class_to_category(),
        ObjectTracker(fps=camera.detect.fps),
        rules,
        StaticObjectDetector() if needs_static else None,
    )


def build_source(settings: Settings, camera: CameraConfig) -> CameraSource:
    ing = settings.ingest
    return CameraSource(
        camera.id,
        camera.url,
        size=camera.detect.size,
        open_timeout_s=ing.open_timeout_s,
        read_timeout_s=ing.read_timeout_s,
        offline_after_s=ing.offline_after_s,
        backoff_initial_s=ing.backoff_initial_s,
        backoff_max_s=ing.backoff_max_s,
    )


OPTIONAL_CLASSES = ("person",)  # owners and vetoes, where the model knows people


def detector_classes(settings: Settings) -> set[str]:
    """Classes the zone rules count: the detector reports only these (and OPTIONAL_CLASSES)."""
    classes: set[str] = set()
    for cam in settings.cameras:
        for z in cam.zones:
            if z.kind == "sidewalk":
                classes |= settings.object_classes(z.objects)
            else:
                classes |= settings.object_classes(["vehicle"]) if "vehicle" in settings.detector.categories else set()
    return classes
