"""Runs the real pipeline (detector, tracker, static-object stage, zone rules) over a clip as fast
as it decodes, with the clock taken from the video's timestamps."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from streams.video_file import probe, sample_frames
from vision.detector import YoloDetector
from vision.hard_negatives import HardNegatives
from vision.violations import Violation

from ..config import ConfigError, Settings, parse_config
from ..runtime.build import OPTIONAL_CLASSES, build_analyzer, detector_classes, learned_classes
from ..runtime.detection import FrameJob, analyse
from .ground_truth import GroundTruth
from .scoring import Alert, Score, score_clip


class EvalError(RuntimeError):
    """A clip or model that cannot be evaluated; the message is one line for the user."""


@dataclass
class ClipResult:
    gt: GroundTruth
    alerts: list[Alert]
    score: Score
    frames: int
    seconds: float  # of video
    wall_s: float  # to process it
    inferences: int = 0  # detector runs (tiles or whole frames)
    # for the HTML report, when asked: "alert:<i>" -> the analysed frame at alert i,
    # "due:<event id>" -> the analysed frame nearest a missed event's due time; with their times
    images: dict[str, np.ndarray] = field(default_factory=dict)
    image_t: dict[str, float] = field(default_factory=dict)


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
    data = base.model_dump(mode="json")
    data["cameras"] = [{
        "id": gt.camera_id, "name": gt.clip, "ward": "Sài Gòn", "url": str(gt.clip_path),
        "detect": {"fps": fps}, "zones": zones,
    }]
    return parse_config(data, Path("."), env={})


def settings_errors(gt: GroundTruth, base: Settings, fps: float) -> list[str]:
    """What the configuration refuses in this file's zones and rules, as '<file>: <field>: ...' lines."""
    try:
        clip_settings(gt, base, fps)
    except ConfigError as exc:
        return _config_lines(gt, exc)
    return []


def _config_lines(gt: GroundTruth, exc: ConfigError) -> list[str]:
    # the one-camera configuration's fields, named as the ground-truth file names them
    return [f"{gt.shown}: {line.replace('cameras[0].url:', 'clip:').replace('cameras[0].', '')}"
            for line in exc.errors]


def make_detector(settings: Settings, gts: list[GroundTruth], fps: float) -> YoloDetector:
    return load_detector(settings, run_classes(settings, gts, fps))


def run_classes(settings: Settings, gts: list[GroundTruth], fps: float) -> frozenset[str]:
    """The classes the detector reports in a run: those every clip's zones can count. One set for
    the whole run, so that a clip scores the same whichever clips it runs with."""
    classes: set[str] = set()
    for gt in gts:
        classes |= detector_classes(clip_settings(gt, settings, fps))
    return frozenset(classes)


def load_detector(settings: Settings, classes: frozenset[str], threads: int = 0) -> YoloDetector:
    """`threads`: for ONNX models, onnxruntime's intra-op threads (0: its default, every core)."""
    det = settings.detector
    try:
        return YoloDetector(det.model, det.imgsz, det.confidence, det.device, classes=sorted(classes),
                            optional_classes=OPTIONAL_CLASSES, learned_classes=learned_classes(settings),
                            threads=threads)
    except (FileNotFoundError, ValueError) as exc:
        raise EvalError(str(exc)) from None


def run_clip(
    gt: GroundTruth,
    base: Settings,
    detector: YoloDetector,
    fps: float = 2.0,
    on_frame: Callable[[float], None] | None = None,
    keep_images: bool = False,
    memory: HardNegatives | None = None,
    on_raised: Callable[[Violation, np.ndarray], None] | None = None,
) -> ClipResult:
    """Raises EvalError for a clip that does not decode or a zone the configuration refuses;
    anything else the pipeline raises is a bug and keeps its traceback. `memory`: the camera's
    hard-negative memory, as a worker follows it; `on_raised` sees each raised violation with its
    frame (a reviewer's view of the alert)."""
    try:
        settings = clip_settings(gt, base, fps)
    except ConfigError as exc:
        raise EvalError(_config_lines(gt, exc)[0]) from None
    camera = settings.cameras[0]
    analyzer = build_analyzer(settings, camera, memory=memory)
    info = _decoding(gt, lambda: probe(str(gt.clip_path)))
    dues = {e.id: gt.due(e) for e in gt.events}
    nearest: dict[str, tuple[float, float, np.ndarray]] = {}  # event id -> (|t - due|, t, image)
    alerts: list[Alert] = []
    images: dict[str, np.ndarray] = {}
    image_t: dict[str, float] = {}
    n, started, t = 0, time.perf_counter(), 0.0
    inferences = 0
    for t, _, image in _decoded(gt, camera.detect.fps):
        (result,) = analyse(detector, [FrameJob(analyzer, image, t, (1.0, 1.0))])
        for e in result.events:
            if e.kind == "raised":
                if on_raised is not None:
                    on_raised(e.violation, image)
                if keep_images:
                    images[f"alert:{len(alerts)}"], image_t[f"alert:{len(alerts)}"] = image, t
                alerts.append(Alert(e.violation.type, e.violation.bbox, t))
        if keep_images:  # only the frame nearest each due time is held, not the clip
            for eid, due in dues.items():
                if eid not in nearest or abs(t - due) < nearest[eid][0]:
                    nearest[eid] = (abs(t - due), t, image)
        inferences += result.inferences
        n += 1
        if on_frame:
            on_frame(t)
    score = score_clip(gt, alerts)
    matched = {m["event"] for m in score.matches}
    for eid, (_, te, image) in nearest.items():
        if eid not in matched:
            images[f"due:{eid}"], image_t[f"due:{eid}"] = image, te
    return ClipResult(gt, alerts, score, n, info.duration_s, time.perf_counter() - started, inferences,
                      images, image_t)


_DECODE_ERRORS = (av.FFmpegError, OSError, StopIteration, IndexError)  # no video stream, no frame


def _decoding(gt: GroundTruth, step):
    try:
        return step()
    except _DECODE_ERRORS as exc:
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise EvalError(f"{gt.shown}: clip: cannot decode {gt.clip_path}: {why}") from None


def _decoded(gt: GroundTruth, fps: float):
    """The sampled frames; a decoding error (a clip corrupt halfway) as one EvalError line."""
    frames = sample_frames(str(gt.clip_path), fps)
    while (item := _decoding(gt, lambda: next(frames, None))) is not None:
        yield item
