"""Clips in several processes: `urbanwatch eval --jobs N` and the bench scripts (loco, robustness).

Each process loads its own detector (one per distinct detector configuration, kept for the
process's life) and runs whole clips; a clip's result does not depend on which process ran it or
which clips ran before, so N processes score as one does."""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

from vision.detector import YoloDetector

from ..config import Settings
from .ground_truth import GroundTruth
from .runner import ClipResult, load_detector, run_classes, run_clip


@dataclass(frozen=True)
class Task:
    """One clip under one configuration, with the classes the run's detector reports."""

    gt: GroundTruth
    settings: Settings
    classes: frozenset[str]


def tasks_for(gts: list[GroundTruth], settings: Settings, fps: float) -> list[Task]:
    classes = run_classes(settings, gts, fps)
    return [Task(gt, settings, classes) for gt in gts]


_detectors: dict[tuple[str, frozenset[str]], YoloDetector] = {}
_progress = None  # the worker's queue back to the parent
_threads = 0  # a worker's share of the cores (0: all of them, in the parent)


def _detector(task: Task) -> YoloDetector:
    key = (task.settings.detector.model_dump_json(), task.classes)
    if key not in _detectors:
        _detectors[key] = load_detector(task.settings, task.classes, _threads)
    return _detectors[key]


def _init(progress, threads: int) -> None:
    global _progress, _threads
    _progress, _threads = progress, threads
    import torch  # N processes on N cores: one core each, not N threads fighting in each

    torch.set_num_threads(threads)


def _work(i: int, task: Task, fps: float, keep_images: bool) -> ClipResult:
    def tick(t: float) -> None:
        _progress.put((i, t))

    return run_clip(task.gt, task.settings, _detector(task), fps, on_frame=tick, keep_images=keep_images)


def run_tasks(
    tasks: list[Task],
    fps: float,
    jobs: int = 1,
    keep_images: bool = False,
    on_progress: Callable[[int, float], None] | None = None,
) -> list[ClipResult]:
    """Results in the order of `tasks`; `on_progress(task index, clip seconds done)` as they run.
    Raises EvalError (runner) for a clip or model that cannot be evaluated."""
    report = on_progress or (lambda i, t: None)
    if jobs <= 1 or len(tasks) <= 1:
        out = []
        for i, task in enumerate(tasks):
            out.append(run_clip(task.gt, task.settings, _detector(task), fps,
                                on_frame=lambda t, i=i: report(i, t), keep_images=keep_images))
        return out
    jobs = min(jobs, len(tasks))
    ctx = mp.get_context("spawn")  # fork would copy a parent's torch threads and locks
    progress = ctx.Queue()
    threads = max(1, (os.cpu_count() or 1) // jobs)
    results: list[ClipResult | None] = [None] * len(tasks)
    # longest clips first, so that the last one to finish is a short one
    order = sorted(range(len(tasks)), key=lambda i: -tasks[i].gt.frames / tasks[i].gt.fps)
    pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init, initargs=(progress, threads))
    try:
        futures = {pool.submit(_work, i, tasks[i], fps, keep_images): i for i in order}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            _drain(progress, report)
            for f in done:
                results[futures[f]] = f.result()
        _drain(progress, report)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results  # type: ignore[return-value]


def _drain(progress, report: Callable[[int, float], None]) -> None:
    while True:
        try:
            i, t = progress.get_nowait()
        except queue_mod.Empty:
            return
        report(i, t)
