"""One detector call for the frames of many cameras: each camera's analyzer says where to look
(tiles over its zones, or the whole frame), all tiles go to the detector together, and each
camera's analyzer gets its results back.

Split in three steps so that a worker can keep the detector busy: `prepare` (planning and
cropping, in Python), `run` (the network, which releases the interpreter), `finish` (tracking,
rules). While one batch runs, the next is prepared and the previous one finished.

A camera whose analysis fails on a frame loses that frame only, when the caller passes `on_error`
(the worker does: one camera's bug must not blind the cameras batched with it); without it the
exception goes up with its traceback (evaluation and tests want to see it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vision.analyzer import CameraAnalyzer, Plan
from vision.detections import Detections
from vision.detector import YoloDetector
from vision.observation import Observation
from vision.violations import RuleEvent


@dataclass
class FrameJob:
    analyzer: CameraAnalyzer
    image: np.ndarray
    t: float
    scale: tuple[float, float]  # image pixels per camera pixel
    camera: str = ""  # for the log


OnError = Callable[[FrameJob, Exception], None]


@dataclass
class FrameResult:
    observation: Observation
    events: list[RuleEvent]
    inferences: int  # tiles (or whole frames) the detector ran on


@dataclass
class Batch:
    jobs: list[FrameJob]
    plans: list[Plan]  # per job: where the detector looks, and the static stage's regions
    crops: list[np.ndarray] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)  # crop -> job
    whole: list[int] = field(default_factory=list)  # jobs detected on the whole frame
    failed: set[int] = field(default_factory=set)  # jobs whose analysis raised (with on_error)
    on_error: OnError | None = None

    def fail(self, i: int, exc: Exception) -> None:
        """Job i raised: without on_error the exception goes up, with it the job is set aside."""
        if self.on_error is None:
            raise exc
        self.failed.add(i)
        self.on_error(self.jobs[i], exc)


def prepare(detector: YoloDetector, jobs: list[FrameJob], on_error: OnError | None = None) -> Batch:
    batch = Batch(jobs, [], on_error=on_error)
    for i, job in enumerate(jobs):
        try:
            batch.plans.append(job.analyzer.plan(job.image, job.t, job.scale))
        except Exception as exc:
            batch.fail(i, exc)
            batch.plans.append(Plan(job.t, []))
    for i, (job, plan) in enumerate(zip(jobs, batch.plans, strict=True)):
        if i in batch.failed:
            continue
        if plan.tiles is None:
            batch.whole.append(i)
        for tile in plan.tiles or []:
            batch.crops.append(tile.crop(job.image, detector.imgsz))
            batch.owner.append(i)
    return batch


def run(detector: YoloDetector, batch: Batch) -> tuple[list[Detections], list[Detections]]:
    """The network's part: tiles, then whole frames. Safe to call from a worker thread."""
    return detector.detect_tiles(batch.crops), detector.detect([batch.jobs[i].image for i in batch.whole])


def finish(batch: Batch, results: tuple[list[Detections], list[Detections]]) -> list[FrameResult | None]:
    """One result per job; None for a job whose analysis failed (only with `on_error`)."""
    tile_results, whole_results = results
    whole = dict(zip(batch.whole, whole_results, strict=True))
    out: list[FrameResult | None] = []
    for i, (job, plan) in enumerate(zip(batch.jobs, batch.plans, strict=True)):
        result = None
        if i not in batch.failed:
            try:
                if plan.tiles is None:
                    sx, sy = job.scale
                    obs, events = job.analyzer.update(whole[i].scaled(1 / sx, 1 / sy), job.t, job.image, job.scale,
                                                      plan)
                    result = FrameResult(obs, events, 1)
                else:
                    mine = [r for r, o in zip(tile_results, batch.owner, strict=True) if o == i]
                    obs, events = job.analyzer.update_tiles(plan, mine, job.image, job.scale)
                    result = FrameResult(obs, events, len(plan.tiles))
            except Exception as exc:
                batch.fail(i, exc)
        out.append(result)
    return out


def analyse(detector: YoloDetector, jobs: list[FrameJob], on_error: OnError | None = None) -> list[FrameResult | None]:
    """All three steps, one after the other."""
    batch = prepare(detector, jobs, on_error)
    return finish(batch, run(detector, batch))
