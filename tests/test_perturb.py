"""Perturbed clips for the robustness suite: each filter gives a playable clip of the expected
size and rate that differs the way it should, and the ground truth follows it (frame numbers,
boxes, zones). On a 2-second synthetic clip whose frame number can be read off the picture."""

import json
import shutil

import av
import cv2
import numpy as np
import pytest

from streams.video_file import probe
from urbanwatch.evaluation.ground_truth import load_ground_truth
from urbanwatch.evaluation.perturb import PERTURBATIONS, perturb_clip, plan

from .helpers import encode_clip

pytestmark = pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg not installed")

W, H, FPS, N = 640, 360, 30, 60  # encode_clip draws a white square at x = 10 + 5 * frame, rows 50-100


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    d = tmp_path_factory.mktemp("src")
    # a noisy dark background: something for the bitrate limit to squeeze
    encode_clip(d / "syn.mp4", N, fps=FPS, size=(W, H), options={"crf": "12"}, noise=True)
    gt = {"schema": "urbanwatch-gt/1", "clip": "syn.mp4", "width": W, "height": H, "fps": FPS, "frames": N,
          "rules": {"dumping_unattended_s": 0.5, "encroachment_dwell_s": 1},
          "zones": [{"name": "z", "kind": "no_dumping", "polygon": [[0, 40], [640, 40], [640, 360], [0, 360]]}],
          "events": [{"id": "e1", "type": "dumping", "zone": "z", "bbox": [160, 50, 210, 100],
                      "start_frame": 30, "owner_left_frame": 45, "end_frame": 59, "note": "kept"}]}
    (d / "syn.mp4.gt.json").write_text(json.dumps(gt))
    return load_ground_truth(d / "syn.mp4.gt.json")


@pytest.fixture(scope="module")
def made(source, tmp_path_factory):
    out = tmp_path_factory.mktemp("perturbed")
    return {name: load_ground_truth(perturb_clip(source, name, out / name)) for name in PERTURBATIONS}


def luma(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="yuv420p")[: f.height].astype(np.float32) for f in c.decode(video=0)]


def square_frame(y: np.ndarray, scale: float = 1.0) -> int:
    """Which source frame a picture shows: where the white square's left edge is."""
    cols = np.flatnonzero(y[int(60 * scale):int(90 * scale)].mean(axis=0) > 150)
    return round((cols[0] / scale - 10) / 5)


@pytest.mark.parametrize("name", PERTURBATIONS)
def test_each_perturbation_gives_a_playable_clip_of_the_expected_size_and_rate(made, name):
    gt = made[name]  # load_ground_truth has checked it: fields, ranges, and the video's size
    p = plan(name, W, H, N / FPS)
    info = probe(str(gt.clip_path))
    frames = luma(gt.clip_path)
    assert (info.width, info.height) == p.size == (gt.width, gt.height)
    fps = {"fps5": 5, "fps25": 25}.get(name, FPS)
    assert info.fps == pytest.approx(fps, rel=0.01) and gt.fps == pytest.approx(fps)
    assert len(frames) == gt.frames == pytest.approx(N * fps / FPS, abs=1)
    raw = json.loads(gt.path.read_text())
    assert raw["perturbation"] == name and raw["events"][0]["note"] == "kept"  # informational fields carried


def test_frame_numbers_follow_the_frame_rate(source, made):
    for name, rate in (("fps5", 5), ("fps25", 25)):
        gt, frames = made[name], luma(made[name].clip_path)
        src, new = source.events[0], gt.events[0]
        for before, after in ((src.start_frame, new.start_frame), (src.owner_left_frame, new.owner_left_frame)):
            assert after == -(-before * rate // FPS)  # the first new frame at or after the moment
            # and that frame shows the moment the ground truth named, or one a new frame later
            assert 0 <= square_frame(frames[after]) - before < FPS / rate, (name, before, after)
        assert new.end_frame == gt.frames - 1
        assert 0 <= gt.due(new) - source.due(src) < 1 / rate  # due times stay put, within a frame


def test_boxes_and_zones_follow_the_size(source, made):
    gt = made["320x240"]
    assert (gt.width, gt.height) == (320, 180)  # 640x360 fits 320x240 at half size
    assert gt.events[0].bbox == (80, 25, 105, 50)
    assert gt.zones[0].polygon == [(0, 20), (320, 20), (320, 180), (0, 180)]
    frames = luma(gt.clip_path)
    assert square_frame(frames[40], scale=0.5) == 40  # the picture scaled with its coordinates
    for name in ("dusk", "noise", "low_bitrate", "shake", "reencode"):
        assert made[name].events[0].bbox == source.events[0].bbox
        assert made[name].zones[0].polygon == source.zones[0].polygon
        assert made[name].events[0].start_frame == 30 and made[name].frames == N


def test_the_filters_change_the_picture_as_named(made):
    ref = luma(made["reencode"].clip_path)

    def level(frames, i):  # brightness above black, where the square is
        square = ref[i] > 150
        return (frames[i][square] - 16).mean()

    dusk = luma(made["dusk"].clip_path)
    assert level(dusk, 0) / level(ref, 0) == pytest.approx(1.0, abs=0.03)
    assert level(dusk, N // 2) / level(ref, N // 2) == pytest.approx(1 - 0.55 * 0.5, abs=0.04)
    assert level(dusk, N - 1) / level(ref, N - 1) == pytest.approx(0.46, abs=0.04)  # ~45 % at the end

    noise = luma(made["noise"].clip_path)
    diffs = [float((noise[i] - ref[i]).std()) for i in (5, 6)]
    assert min(diffs) > 4 and not np.allclose(noise[5] - ref[5], noise[6] - ref[6])  # changes every frame

    size = made["low_bitrate"].clip_path.stat().st_size
    kbps = size * 8 / 1000 / (N / FPS)
    target = plan("low_bitrate", W, H, 2).rate_kbps  # 50 kbit/s at 640x360
    assert kbps < 2 * target < made["reencode"].clip_path.stat().st_size * 8 / 1000 / (N / FPS) / 10
    blocks = luma(made["low_bitrate"].clip_path)[N // 2]
    assert float(np.abs(blocks - ref[N // 2]).mean()) > 3  # visibly worse than the control

    shake = luma(made["shake"].clip_path)
    shifts = np.array([cv2.phaseCorrelate(ref[i], shake[i])[0] for i in range(0, N, 3)])
    assert np.abs(shifts).max() <= 2.5 and np.abs(shifts).max() >= 1  # a few pixels at 360 lines ...
    assert np.abs(shifts.mean(axis=0)).max() < 0.8  # ... around the place the ground truth says
