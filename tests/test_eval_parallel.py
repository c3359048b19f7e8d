"""`urbanwatch eval --jobs N`: clips in N processes score exactly as in one."""

from pathlib import Path

import pytest

from urbanwatch.config import parse_config
from urbanwatch.evaluation.ground_truth import load_all
from urbanwatch.evaluation.parallel import run_tasks, tasks_for
from urbanwatch.evaluation.runner import EvalError
from urbanwatch.evaluation.variants import apply_variant

from .conftest import shared_path


@pytest.mark.e2e
def test_two_processes_give_the_results_of_one(pt_model):
    clips = shared_path("data/clips")
    gts = load_all([clips / "dumping/bag_dragged_hallway_hevc.mp4.gt.json",
                    clips / "street/saigon_red_light_queue.mp4.gt.json"])
    base = apply_variant(parse_config({}, Path.cwd()), {"detector.model": str(pt_model)})
    tasks = tasks_for(gts, base, 2.0)
    seen: dict[int, float] = {}
    serial = run_tasks(tasks, 2.0, jobs=1)
    parallel = run_tasks(tasks, 2.0, jobs=2, on_progress=lambda i, t: seen.__setitem__(i, t))
    assert [r.gt.name for r in parallel] == [g.name for g in gts]  # in the order given
    for a, b in zip(serial, parallel, strict=True):
        assert a.alerts == b.alerts and a.score.matches == b.score.matches and a.frames == b.frames
        assert (a.score.tp, a.score.fp, a.score.fn) == (b.score.tp, b.score.fp, b.score.fn)
    assert set(seen) == {0, 1} and seen[0] > 10  # progress came back from the workers


@pytest.mark.e2e
def test_a_worker_error_is_one_line(tmp_path, pt_model):
    gts = load_all([shared_path("data/clips/street/saigon_red_light_queue.mp4.gt.json")] * 2)
    base = apply_variant(parse_config({}, Path.cwd()), {"detector.model": str(tmp_path / "absent.pt")})
    with pytest.raises(EvalError, match="model file not found"):
        run_tasks(tasks_for(gts, base, 2.0), 2.0, jobs=2)
