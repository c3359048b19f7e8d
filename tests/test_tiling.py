"""Where the detector looks: tiles over the zones where something moved, the periodic look at
whole zones, detections carried where it did not look, and the motion boxes that drive it."""

import numpy as np
import pytest

from vision.detections import Detections
from vision.scheduling import DetectionScheduler
from vision.static_objects import StaticObjectDetector
from vision.tiling import Tile, TilePlanner, merge_tiles

W, H = 640, 360
CAR = 2  # COCO class id


def covers(tiles: list[Tile], box) -> bool:
    """Some tile holds the whole box."""
    x0, y0, x1, y1 = box
    return any(t.x0 <= x0 and t.y0 <= y0 and t.x1 >= x1 and t.y1 >= y1 for t in tiles)


def dets(*boxes, cls=CAR, conf=0.9) -> Detections:
    n = len(boxes)
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.full(n, conf), np.full(n, cls),
                      data={"class_name": np.full(n, "car", dtype=object)})


def test_a_small_region_gets_one_full_resolution_tile():
    tiles = TilePlanner(320).plan(W, H, [(100, 150, 160, 200)])
    assert len(tiles) == 1
    assert tiles[0].scale == 1.0 and covers(tiles, (100, 150, 160, 200))
    assert (tiles[0].x1 - tiles[0].x0, tiles[0].y1 - tiles[0].y0) == (320, 320)


def test_a_frame_smaller_than_a_tile_is_enlarged_to_the_input():
    """A 320x240 substream with 640 tiles: one tile, the whole frame at twice the size, so small
    objects reach the detector at the scale it knows."""
    tiles = TilePlanner(640).plan(320, 240, [(100, 150, 160, 200)])
    assert len(tiles) == 1 and tiles[0].box == (0, 0, 320, 240) and tiles[0].scale == 2.0
    crop = tiles[0].crop(np.zeros((240, 320, 3), np.uint8), 640)
    assert crop.shape == (640, 640, 3)
    box = tiles[0].to_image(dets((200, 300, 320, 400)))
    assert box.xyxy.tolist() == [[100.0, 150.0, 160.0, 200.0]]  # back in frame pixels
    assert TilePlanner(640).plan(320, 240, []) == []


def test_a_wide_zone_is_covered_by_two_slightly_shrunk_tiles():
    zone = (0, 100, 640, 300)
    tiles = TilePlanner(320).plan(W, H, [zone])
    assert len(tiles) == 2  # not three at full resolution
    assert all(0.8 <= t.scale < 1.0 for t in tiles)
    assert min(t.x0 for t in tiles) == 0 and max(t.x1 for t in tiles) == W
    # neighbours overlap, so an object cut by one tile is whole in the other
    left, right = sorted(tiles, key=lambda t: t.x0)
    assert left.x1 - right.x0 >= 0.15 * (left.x1 - left.x0)


def test_tiles_never_exceed_the_limit_and_stay_in_the_frame():
    big = (0, 0, 1920, 1080)
    tiles = TilePlanner(320, max_tiles=4).plan(1920, 1080, [big])
    assert 1 <= len(tiles) <= 4
    assert all(0 <= t.x0 < t.x1 <= 1920 and 0 <= t.y0 < t.y1 <= 1080 for t in tiles)
    assert all(t.scale < 0.5 for t in tiles)  # larger tiles, shrunk to the input size


@pytest.mark.parametrize("scale", [1.0, 0.9, 0.8, 0.5])
def test_a_crop_is_the_model_input_and_keeps_the_picture(scale):
    rng = np.random.default_rng(1)
    image = np.kron(rng.integers(0, 255, (H // 8, W // 8, 3), dtype=np.uint8), np.ones((8, 8, 1), np.uint8))
    side = round(320 / scale)
    tile = Tile(40, 20, min(W, 40 + side), min(H, 20 + side), scale)
    crop = tile.crop(image, 320)
    assert crop.shape == (320, 320, 3) and crop.dtype == np.uint8
    # a pixel of the crop shows the picture where the tile puts it (blocks are 8 pixels wide)
    x, y = 100, 100
    src = image[int(20 + y / scale), int(40 + x / scale)].astype(int)
    assert np.abs(crop[y, x].astype(int) - src).max() <= 60
    if scale == 1.0:
        assert np.shares_memory(crop, image)  # no copy when no resizing is needed


def test_an_object_seen_by_two_overlapping_tiles_becomes_one_box():
    a, b = Tile(0, 0, 320, 320, 1.0), Tile(256, 0, 576, 320, 1.0)
    car = (250, 100, 330, 160)  # cut by the first tile's edge, whole in the second
    in_a = dets((250, 100, 320, 160), conf=0.6)
    in_b = dets((car[0] - 256, 100, car[2] - 256, 160), conf=0.8)
    merged = merge_tiles([a.to_image(in_a), b.to_image(in_b)])
    assert len(merged) == 1
    assert np.allclose(merged.xyxy[0], car) and merged.confidence[0] == pytest.approx(0.8)


def scheduler(recheck_s=3.0):
    zone = np.array([[400, 200], [600, 200], [600, 300], [400, 300]], np.float32)  # a sidewalk, right side
    return DetectionScheduler(TilePlanner(320), [zone], recheck_s)


def test_whole_zones_first_then_only_where_something_moves_in_them():
    s = scheduler()
    first = s.plan(W, H, (1.0, 1.0), 0.0, motion=[])
    assert first and covers(first, (400, 200, 600, 300))
    assert s.plan(W, H, (1.0, 1.0), 0.5, motion=[]) == []  # nothing moved: nothing to look at
    assert s.plan(W, H, (1.0, 1.0), 1.0, motion=[(20, 20, 120, 120)]) == []  # moved outside the zones
    moving = s.plan(W, H, (1.0, 1.0), 1.5, motion=[(450, 220, 500, 280)])
    assert len(moving) == 1 and covers(moving, (450, 220, 500, 280))
    # still objects make no motion: the whole zone again once recheck_s has passed
    again = s.plan(W, H, (1.0, 1.0), 3.0, motion=[])
    assert again and covers(again, (400, 200, 600, 300))


def test_zone_boxes_follow_the_frame_scale():
    s = scheduler()
    (x0, y0, x1, y1), = s.regions(320, 180, (0.5, 0.5))
    assert x0 < 200 < 300 < x1 and y0 < 100 and y1 >= 150


def test_detections_are_carried_where_no_tile_looked_but_not_for_ever():
    s = scheduler(recheck_s=3.0)
    parked = dets((450, 220, 520, 290))
    tiles = s.plan(W, H, (1.0, 1.0), 0.0, motion=None)
    assert len(s.carry(parked, tiles, 0.0)) == 1
    # the next frame looks elsewhere: the parked car still stands where it was seen
    elsewhere = [Tile(0, 0, 320, 320, 1.0)]
    assert len(s.carry(Detections.empty().with_data(class_name=np.zeros(0, object)), elsewhere, 0.5)) == 1
    # a tile that looked there and saw nothing ends it at once
    looked = [Tile(320, 40, 640, 360, 1.0)]
    assert len(s.carry(Detections.empty().with_data(class_name=np.zeros(0, object)), looked, 1.0)) == 0


def test_carried_detections_expire_after_two_rechecks():
    s = scheduler(recheck_s=3.0)
    s.carry(dets((450, 220, 520, 290)), [Tile(320, 40, 640, 360, 1.0)], 0.0)
    empty = Detections.empty().with_data(class_name=np.zeros(0, object))
    elsewhere = [Tile(0, 0, 320, 320, 1.0)]
    assert len(s.carry(empty, elsewhere, 6.0)) == 1
    assert len(s.carry(empty, elsewhere, 6.5)) == 0


def test_motion_boxes_surround_what_moved():
    rng = np.random.default_rng(2)
    background = rng.integers(60, 200, (H, W, 3), dtype=np.uint8)
    det = StaticObjectDetector()
    assert det.motion_boxes(W, H) is None  # before a first comparison, everything counts as moving
    for i in range(4):
        det.update(background, i * 0.5)
    assert det.motion_boxes(W, H) == []
    frame = background.copy()
    frame[100:160, 300:380] = 255  # something bright enters
    det.update(frame, 2.0)
    boxes = det.motion_boxes(W, H)
    assert len(boxes) == 1
    x0, y0, x1, y1 = boxes[0]
    assert x0 <= 300 and y0 <= 100 and x1 >= 380 and y1 >= 160
    assert x1 - x0 < 120 and y1 - y0 < 100  # around it, not the whole picture

