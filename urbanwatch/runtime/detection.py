"""One detector call for the frames of many cameras: each camera's analyzer says where to look
(tiles over its zones, or the whole frame), all tiles go to the detector together, and each
camera's analyzer gets its results back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vision.analyzer import CameraAnalyzer
from vision.detector import YoloDetector
from vision.observation import Observation
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


def analyse(detector: YoloDetector, jobs: list[FrameJob]) -> list[FrameResult]:
    plans = [job.analyzer.plan(job.image, job.t, job.scale) for job in jobs]
    crops, owner = [], []
    for i, (job, tiles) in enumerate(zip(jobs, plans, strict=True)):
        for tile in tiles or []:
            crops.append(tile.crop(job.image, detector.imgsz))
            owner.append(i)
    tile_results = detector.detect_tiles(crops)
    whole = [i for i, tiles in enumerate(plans) if tiles is None]
    whole_results = dict(zip(whole, detector.detect([jobs[i].image for i in whole]), strict=True))
    out = []
    for i, (job, tiles) in enumerate(zip(jobs, plans, strict=True)):
        if tiles is None:
            sx, sy = job.scale
            obs, events = job.analyzer.update(whole_results[i].scaled(1 / sx, 1 / sy), job.t, job.image, job.scale)
            out.append(FrameResult(obs, events, 1))
        else:
            mine = [r for r, o in zip(tile_results, owner, strict=True) if o == i]
            obs, events = job.analyzer.update_tiles(tiles, mine, job.t, job.image, job.scale)
            out.append(FrameResult(obs, events, len(tiles)))
    return out
