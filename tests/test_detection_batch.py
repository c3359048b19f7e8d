"""One detector call for several cameras: a camera whose analysis raises loses its own frame, not
the frames of the cameras batched with it (the worker passes `on_error`); without `on_error`
the exception goes up (evaluation wants the traceback)."""

import pytest

from urbanwatch.runtime.detection import FrameJob, analyse
from vision.detector import YoloDetector
from vision.zones import PolygonZone

from .scenes import H, W, analyzer, floor

ZONE = PolygonZone("via_he", "sidewalk", [[0, 0], [W, 0], [W, H], [0, H]])


def broken(*steps: str):
    chain = analyzer(ZONE, dwell_s=5.0)

    def fail(*args, **kwargs):
        raise ValueError("a bug in one camera's analysis")

    for step in steps:
        setattr(chain, step, fail)
    return chain


@pytest.fixture(scope="module")
def detector(pt_model):
    return YoloDetector(str(pt_model), 320, classes=["person", "car"])


@pytest.mark.parametrize("steps", [("plan",), ("update", "update_tiles")], ids=["planning", "tracking-and-rules"])
def test_a_camera_whose_analysis_raises_loses_only_its_own_frame(detector, steps):
    good, bad = analyzer(ZONE, dwell_s=5.0), broken(*steps)
    failures = []
    for t in (0.0, 0.5, 1.0):
        jobs = [FrameJob(bad, floor(), t, (1.0, 1.0), "cam-bad"), FrameJob(good, floor(), t, (1.0, 1.0), "cam-good")]
        results = analyse(detector, jobs, on_error=lambda job, exc: failures.append((job.camera, str(exc))))
        assert results[0] is None and results[1] is not None and results[1].inferences >= 1
    assert failures == [("cam-bad", "a bug in one camera's analysis")] * 3


def test_without_on_error_the_exception_goes_up(detector):
    with pytest.raises(ValueError, match="a bug"):
        analyse(detector, [FrameJob(broken("plan"), floor(), 0.0, (1.0, 1.0))])
