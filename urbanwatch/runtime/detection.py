"""One detector call for the frames of many cameras: each camera's analyzer says where to look
(tiles over its zones, or the whole frame), all tiles go to the detector together, and each
camera's analyzer gets its results back.

Split in three steps so that a worker can keep the detector busy: `prepare` (planning and
cropping, in Python), `run` (the network, which releases the interpreter), `finish` (tracking,
rules). While one batch runs, the next is prepared and the previous one finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vision.analyzer import CameraAnalyzer
from vision.detections import Detections
from vision.detector import YoloDetector
from vision.observation import Observation
from vision.tiling import Tile
from vision.violations import RuleEvent


@dataclass
class FrameJob:
    analyzer: CameraAnalyzer
    image: np.ndarray
    t: float
    scale: tuple[float, float]  # image pixels per camera pixel


@dataclass
class FrameResult:
    observation: Observation
    events: list[RuleEvent]
    inferences: int  # tiles (or whole frames) the detector ran on


@dataclass
class Batch:
    jobs: list[FrameJob]
    plans: list[list[Tile] | None]
    crops: list[np.ndarray] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)  # crop -> job
    whole: list[int] = field(default_factory=list)  # jobs detected on the whole frame


def prepare(detector: YoloDetector, jobs: list[FrameJob]) -> Batch:
    batch = Batch(jobs, [job.analyzer.plan(job.image, job.t, job.scale) for job in jobs])
    for i, (job, tiles) in enumerate(zip(jobs, batch.plans, strict=True)):
        if tiles is None:
            batch.whole.append(i)
        for tile in tiles or []:
            batch.crops.append(tile.crop(job.image, detector.imgsz))
            batch.owner.append(i)
    return batch


def run(detector: YoloDetector, batch: Batch) -> tuple[list[Detections], list[Detections]]:
    """The network's part: tiles, then whole frames. Safe to call from a worker thread."""
    return detector.detect_tiles(batch.crops), detector.detect([batch.jobs[i].image for i in batch.whole])


def finish(batch: Batch, results: tuple[list[Detections], list[Detections]]) -> list[FrameResult]:
    tile_results, whole_results = results
    whole = dict(zip(batch.whole, whole_results, strict=True))
    out = []
    for i, (job, tiles) in enumerate(zip(batch.jobs, batch.plans, strict=True)):
        if tiles is None:
            sx, sy = job.scale
            obs, events = job.analyzer.update(whole[i].scaled(1 / sx, 1 / sy), job.t, job.image, job.scale)
            out.append(FrameResult(obs, events, 1))
        else:
            mine = [r for r, o in zip(tile_results, batch.owner, strict=True) if o == i]
            obs, events = job.analyzer.update_tiles(tiles, mine, job.t, job.image, job.scale)
            out.append(FrameResult(obs, events, len(tiles)))
    return out


def analyse(detector: YoloDetector, jobs: list[FrameJob]) -> list[FrameResult]:
    """All three steps, one after the other."""
    batch = prepare(detector, jobs)
    return finish(batch, run(detector, batch))
