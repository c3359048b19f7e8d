"""Camera tampering on real footage: each kind, made with ffmpeg filters on a shared clip from 8 s to
20 s, is raised within 10 s of its onset and ended when the view returns; the eleven unmodified
shared clips (a day-to-night cut among them) raise nothing. Then the detector's behaviours one by
one, and the worker's path: problems stored with their pictures, announced, paused rules,
accepted by an admin through the API."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest

from streams.video_file import sample_frames
from urbanwatch.evaluation.tampering import (
    BACK_S,
    FPS,
    ONSET_S,
    STREET,
    TAMPERINGS,
    detect_tampering,
    make_tampered_clip,
)
from vision.tampering import Tamper, TamperingDetector

from .conftest import need, shared_path

DETECTED_WITHIN_S = 10.0
UNMODIFIED = [
    "dumping/backpack_corridor.mp4", "dumping/bag_dragged_hallway_hevc.mp4", "dumping/gravel_yard_dumping_kr.mp4",
    "dumping/park_path_litter_kr.mp4", "negatives/hanoi_red_light_wait.mp4",
    "negatives/hcm_expressway_day_night.mp4", "negatives/highway_shoulder.avi",
    "negatives/people_standing_indoor.mp4", "street/saigon_red_light_queue.mp4",
    "street/street_parked_cars_curb.mp4", "street/vn_cars_parked_at_curb.mp4",
]


@pytest.fixture(scope="module")
def tampered(tmp_path_factory, shared):
    need(shutil.which("ffmpeg") is not None, "ffmpeg is not installed (scripts/system-packages.sh)")
    out = tmp_path_factory.mktemp("tampered")
    return {kind: make_tampered_clip(shared, kind, out / f"{kind}.mp4") for kind in TAMPERINGS}


@pytest.fixture(scope="module")
def street_frames() -> list[tuple[float, np.ndarray]]:
    """The first 20 s of a real street at 640 wide, 2 frames a second."""
    frames = []
    for t, _, image in sample_frames(str(shared_path(STREET)), FPS, size=(640, 360)):
        if t > 20:
            break
        frames.append((t, image))
    return frames


@pytest.mark.parametrize("kind", list(Tamper))
def test_each_tampering_is_raised_within_10_s_and_ends_when_the_view_returns(tampered, kind):
    seen = detect_tampering(tampered[kind])
    assert [(s.change.kind, s.change.change) for s in seen] == [(kind, "started"), (kind, "ended")], seen
    started, ended = seen
    assert ONSET_S <= started.at <= ONSET_S + DETECTED_WITHIN_S
    assert started.change.t >= ONSET_S - 1 / FPS  # the problem's own start: near the onset
    assert BACK_S <= ended.at <= BACK_S + DETECTED_WITHIN_S and ended.change.reason == "view_returned"


@pytest.mark.parametrize("clip", UNMODIFIED)
def test_the_unmodified_shared_clips_raise_no_tampering(clip):
    """Traffic, people standing still indoors, a hallway at low light, the day-to-night cut."""
    assert detect_tampering(shared_path(f"data/clips/{clip}")) == []


def run(detector: TamperingDetector, frames) -> list:
    return [c for t, image in frames for c in detector.update(image, t).changes]


def test_a_bus_filling_the_view_for_a_few_seconds_is_not_tampering(street_frames):
    """A flat side of one colour over the whole picture for 3 s: covered, but not for long enough."""
    frames = [(t, image.copy()) for t, image in street_frames]
    for t, image in frames:
        if 10 <= t < 13:
            image[:] = (40, 150, 200)
    assert run(TamperingDetector(), frames) == []


def test_light_switched_at_once_is_relearned_not_raised(street_frames):
    """The whole picture 2.5 times darker from 8 s on (a day/night switch): the reference follows."""
    frames = [(t, (image * 0.4).astype(np.uint8) if t >= 8 else image) for t, image in street_frames]
    assert run(TamperingDetector(), frames) == []


def test_a_few_pixels_of_shake_are_not_a_move(street_frames):
    rng = np.random.default_rng(1)
    frames = []
    for t, image in street_frames:
        dx, dy = rng.integers(-4, 5, size=2)  # 4 of 640 pixels
        frames.append((t, cv2.warpAffine(image, np.float32([[1, 0, dx], [0, 1, dy]]), (640, 360),
                                         borderMode=cv2.BORDER_REPLICATE)))
    assert run(TamperingDetector(), frames) == []


def shifted(image: np.ndarray, share: float = 0.15) -> np.ndarray:
    dx = int(image.shape[1] * share)
    out = np.zeros_like(image)
    out[:, dx:] = image[:, :-dx]
    return out


def test_an_accepted_view_becomes_the_reference(street_frames):
    detector = TamperingDetector()
    frames = [(t, shifted(image) if t >= 5 else image) for t, image in street_frames]
    changes = run(detector, [f for f in frames if f[0] < 12])
    assert [(c.kind, c.change) for c in changes] == [(Tamper.MOVED, "started")]
    assert detector.update(frames[24][1], 12.0).rules_paused
    ended = detector.accept(12.0)
    assert (ended.kind, ended.change, ended.reason) == (Tamper.MOVED, "ended", "accepted")
    after = [detector.update(image, t) for t, image in frames if t > 12]
    assert not any(r.changes for r in after) and not after[-1].rules_paused


def test_a_reference_picture_predates_the_onset(street_frames):
    """The "before" picture of a problem is a normal frame, not one of the tampered ones."""
    detector = TamperingDetector()
    frames = [(t, np.zeros_like(image) if t >= 12 else image) for t, image in street_frames]
    changes = run(detector, frames)
    assert [c.kind for c in changes] == [Tamper.COVERED]
    assert detector.reference_picture is not None and detector.reference_picture.mean() > 30


def test_a_problem_restored_after_a_restart_ends_when_the_view_returns(street_frames):
    """A worker restarted while a camera was covered: the stored "before" picture is the reference."""
    detector = TamperingDetector()
    before = street_frames[0][1]
    detector.restore({Tamper.COVERED}, before, 0.0)
    result = None
    changes = []
    for t, image in street_frames[:10]:
        result = detector.update(image, t)
        changes += result.changes
    assert [(c.kind, c.change) for c in changes] == [(Tamper.COVERED, "ended")]
    assert result.active == frozenset()
