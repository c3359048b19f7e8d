"""The static-object stage on real reference frames (objects left in EPFL, PETS 2006, AVSS 2007
and CANTATA scenes, with their annotated masks) and on scripted changes of a real scene."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.matching import overlap
from vision.static_objects import StaticObjectDetector

from .conftest import shared_path

SCENES = ["EPFL_{}01005.png", "PETS_{}02140.png", "avss-{}02720.png", "cantata-{}00355.png"]


def scene(pattern: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d: Path = shared_path("data/unit/static_object_masks")
    frame = cv2.imread(str(d / pattern.format("frame")))
    background = cv2.imread(str(d / pattern.format("bkg")))
    mask = cv2.imread(str(d / pattern.format("mask")), cv2.IMREAD_GRAYSCALE) > 127
    return frame, background, mask


def feed(det, image, t0, seconds, fps=2.0, hold=None):
    t, out = t0, None
    for _ in range(int(seconds * fps)):
        out = det.update(image, t, hold)
        t += 1 / fps
    return out, t


@pytest.mark.parametrize("pattern", SCENES)
def test_finds_the_left_object(pattern):
    frame, background, mask = scene(pattern)
    ys, xs = np.nonzero(mask)
    truth = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)
    det = StaticObjectDetector()
    _, t = feed(det, background, 0.0, 2.0)
    regions, _ = feed(det, frame, t, 5.0)
    iou, _ = overlap(truth, regions.xyxy)
    assert iou.max() >= 0.5, (regions.xyxy, truth)
    best = int(iou.argmax())
    assert regions.data["appeared_at"][best] == pytest.approx(t, abs=1.5)  # dated to when it arrived
    assert regions.class_name[best] == "static_object"


def test_nothing_new_nothing_found():
    _, background, _ = scene(SCENES[0])
    regions, _ = feed(StaticObjectDetector(), background, 0.0, 10.0)
    assert len(regions) == 0


def test_sudden_lighting_change_resets_instead_of_alarming():
    _, background, _ = scene(SCENES[1])
    det = StaticObjectDetector()
    _, t = feed(det, background, 0.0, 3.0)
    dimmed = (background.astype(np.float32) * 0.55).astype(np.uint8)  # half the lights off
    regions, _ = feed(det, dimmed, t, 10.0)
    assert det.resets == 1 and len(regions) == 0


def test_camera_sway_is_not_an_object():
    _, background, _ = scene(SCENES[2])
    det = StaticObjectDetector()
    _, t = feed(det, background, 0.0, 3.0)
    swayed = np.roll(background, (3, -4), axis=(0, 1))  # the pole moved the picture a few pixels
    regions, _ = feed(det, swayed, t, 8.0)
    assert len(regions) == 0


def test_object_taken_away_disappears_at_once():
    """Gone as soon as the background shows steadily: the next frame (the first one that shows it
    could be trousers of the background's colour passing over the object)."""
    frame, background, _ = scene(SCENES[3])
    det = StaticObjectDetector()
    _, t = feed(det, background, 0.0, 2.0)
    regions, t = feed(det, frame, t, 6.0)
    assert len(regions) >= 1
    det.update(background, t)
    regions = det.update(background, t + 0.5)
    assert len(regions) == 0


def test_people_standing_do_not_become_background():
    """Under people and vehicles (`hold`) the long-term model does not learn: someone standing for
    a long time must not become background, or the floor would look new when they leave."""
    frame, background, mask = scene(SCENES[0])
    ys, xs = np.nonzero(mask)
    box = [xs.min() - 5, ys.min() - 5, xs.max() + 5, ys.max() + 5]
    learned = {}
    for hold in (True, False):
        det = StaticObjectDetector()
        _, t = feed(det, background, 0.0, 2.0)
        before = det.background()
        _, t = feed(det, frame, t, 3600.0, fps=0.2, hold=np.array([box], np.float32) if hold else None)
        f = before.shape[1] / background.shape[1]
        x1, y1, x2, y2 = (int(v * f) for v in box)
        learned[hold] = float(np.abs(det.background()[y1:y2, x1:x2] - before[y1:y2, x1:x2]).mean())
    assert learned[True] < 0.5 < 10 < learned[False]


def _floor_scene():
    from .scenes import floor, paint, texture

    return floor(3), paint, texture


@pytest.mark.parametrize("clock, rebase_s", [(0.0, 3600.0), (1.8e9, 3600.0), (1.8e9, 3.0)],
                         ids=["from-zero", "wall-clock", "wall-clock-rebased"])
def test_two_bags_put_down_one_after_the_other_are_two_objects(clock, rebase_s, monkeypatch):
    """A second bag set down against the first: one blob of static pixels, but its two parts
    became static seconds apart, so they are two objects, each with its own box and time.
    Live cameras stamp frames with the wall clock, where float32 seconds are 128 s apart."""
    monkeypatch.setattr("vision.static_objects._REBASE_S", rebase_s)
    floor, paint, texture = _floor_scene()
    first, second = [300, 200, 340, 240], [340, 205, 372, 240]
    det = StaticObjectDetector()
    regions = None
    for i in range(30):
        t = clock + i / 2
        image = floor.copy()
        if t - clock >= 2:
            paint(image, first, texture(40, 40, 61, 40.0))
        if t - clock >= 7:
            paint(image, second, texture(35, 32, 62, 200.0))
        regions = det.update(image, t)
    assert len(regions) == 2, regions.xyxy
    for truth, when in ((first, 2.0), (second, 7.0)):
        iou, _ = overlap(np.array(truth, np.float32), regions.xyxy)
        best = int(iou.argmax())
        assert iou[0, best] >= 0.6 and regions.data["appeared_at"][best] - clock == pytest.approx(when, abs=1.0)


def test_dusk_falling_over_minutes_is_not_an_object():
    """The light falls to 45 % over two minutes (multiplicative, every pixel): a gain taken out,
    not a change anywhere."""
    floor, _, _ = _floor_scene()
    det = StaticObjectDetector()
    for i in range(240):
        t = i / 2
        dim = 1.0 - 0.55 * t / 120
        regions = det.update((floor.astype(np.float32) * dim).astype(np.uint8), t)
        assert len(regions) == 0, (t, regions.xyxy)
    assert det.resets == 0


def test_a_shadow_that_keeps_the_floors_texture_is_light_not_an_object():
    floor, _, _ = _floor_scene()
    det = StaticObjectDetector()
    shaded = floor.copy()
    shaded[150:260, 200:330] = (shaded[150:260, 200:330].astype(np.float32) * 0.55).astype(np.uint8)
    for i in range(20):
        regions = det.update(floor if i < 4 else shaded, i / 2)
    assert len(regions) == 0 and det.rejected["lighting"] >= 1
