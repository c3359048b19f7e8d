"""Running many clip evaluations for a bench script, with one progress bar over their seconds."""

from __future__ import annotations

from rich.progress import Progress

from urbanwatch.evaluation.parallel import Task, run_tasks
from urbanwatch.evaluation.runner import ClipResult, EvalError


def run_clips(tasks: list[Task], fps: float, jobs: int, progress: Progress, description: str) -> list[ClipResult]:
    """Results in the order of `tasks`; a clip or model that cannot be evaluated ends the bench
    with its one-line reason."""
    seconds = [t.gt.frames / t.gt.fps for t in tasks]
    bar = progress.add_task(description, total=sum(seconds))
    done = [0.0] * len(tasks)

    def tick(i: int, t: float) -> None:
        done[i] = min(t, seconds[i])
        progress.update(bar, completed=sum(done))

    try:
        return run_tasks(tasks, fps, jobs, on_progress=tick)
    except EvalError as exc:
        raise SystemExit(str(exc)) from None
