"""Runs the real pipeline (detector, tracker, static-object stage, zone rules) over a clip as fast
as it decodes, with the clock taken from the video's timestamps."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streams.video_file import probe, sample_frames
from vision.detector import YoloDetector

from ..config import Settings, parse_config
from ..runtime.build import OPTIONAL_CLASSES, build_analyzer, detector_classes
from ..runtime.detection import FrameJob, analyse
from .ground_truth import GroundTruth
from .scoring import Alert, Score, score_clip


@dataclass
class ClipResult:
    gt: GroundTruth
    alerts: list[Alert]
    score: Score
    frames: int
    seconds: float  # of video
    wall_s: float  # to process it
    inferences: int = 0  # detector runs (tiles or whole frames)


def clip_settings(gt: GroundTruth, base: Settings, fps: float) -> Settings:
    """A one-camera configuration with the clip as the camera and the ground truth's zones and rules."""
    zones = []
    for z in gt.zones:
        zone = {"name": z.name, "kind": z.kind, "polygon": [list(p) for p in z.polygon]}
        if z.kind == "sidewalk":
            zone["dwell_s"] = gt.rules.encroachment_dwell_s
        else:
            zone["unattended_s"] = gt.rules.dumping_unattended_s
        zones.append(zone)
    cam_id = re.sub(r"[^A-Za-z0-9_.-]", "_", gt.clip)[:64]
    data = base.model_dump(mode="json")
    data["cameras"] = [{
        "id": cam_id, "name": gt.clip, "district": "eval", "url": str(gt.clip_path),
        "detect": {"fps": fps}, "zones": zones,
    }]
    return parse_config(data, Path("."), env={})


def make_detector(settings: Settings, gts: list[GroundTruth], fps: float) -> YoloDetector:
    classes: set[str] = set()
    for gt in gts:
        classes |= detector_classes(clip_settings(gt, settings, fps))
    det = settings.detector
    return YoloDetector(det.model, det.imgsz, det.confidence, det.device, classes=classes,
                        optional_classes=OPTIONAL_CLASSES)


def run_clip(
    gt: GroundTruth,
    base: Settings,
    detector: YoloDetector,
    fps: float = 2.0,
    on_frame: Callable[[float], None] | None = None,
) -> ClipResult:
    settings = clip_settings(gt, base, fps)
    camera = settings.cameras[0]
    analyzer = build_analyzer(settings, camera)
    info = probe(str(gt.clip_path))
    alerts: list[Alert] = []
    n, started, t = 0, time.perf_counter(), 0.0
    inferences = 0
    for t, _, image in sample_frames(str(gt.clip_path), camera.detect.fps):
        (result,) = analyse(detector, [FrameJob(analyzer, image, t, (1.0, 1.0))])
        alerts += [Alert(e.violation.type, e.violation.bbox, t) for e in result.events if e.kind == "raised"]
        inferences += result.inferences
        n += 1
        if on_frame:
            on_frame(t)
    return ClipResult(gt, alerts, score_clip(gt, alerts), n, info.duration_s, time.perf_counter() - started,
                      inferences)
