import numpy as np
import pytest

from vision.detections import NO_TRACK, Detections
from vision.geometry import points_in_polygon
from vision.matching import greedy_match, overlap
from vision.zones import PolygonZone


def dets(boxes, conf=None, names=None):
    n = len(boxes)
    return Detections(
        np.array(boxes, np.float32).reshape(-1, 4),
        np.array(conf or [0.9] * n),
        np.zeros(n, np.int32),
        data={"class_name": np.array(names or ["car"] * n, dtype=object)},
    )


def test_mask_filtering_keeps_columns_parallel():
    d = dets([[0, 0, 10, 10], [5, 5, 20, 30], [1, 1, 2, 2]], conf=[0.2, 0.8, 0.6], names=["car", "bus", "person"])
    kept = d[d.confidence > 0.5]
    assert len(kept) == 2
    assert list(kept.class_name) == ["bus", "person"]
    assert kept.tracker_id.tolist() == [NO_TRACK, NO_TRACK]
    assert d[1].xyxy.shape == (1, 4)


def test_bottom_centre_scale_and_merge():
    d = dets([[10, 20, 30, 60]])
    assert d.bottom_center.tolist() == [[20, 60]]
    assert d.scaled(2, 0.5).xyxy.tolist() == [[20, 10, 60, 30]]
    other = Detections(d.xyxy, d.confidence, d.class_id, data={"class_name": np.array(["x"], object)})
    m = Detections.merge([d, other])
    assert len(m) == 2 and list(m.class_name) == ["car", "x"]
    assert len(Detections.merge([])) == 0


def test_inconsistent_columns_are_rejected():
    with pytest.raises(ValueError):
        Detections(np.zeros((2, 4)), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError):
        Detections(np.zeros((2, 4)), np.zeros(2), np.zeros(2), data={"class_name": np.array(["a"])})


def test_points_in_polygon_concave():
    # a U shape: the notch is outside
    u = np.array([[0, 0], [30, 0], [30, 30], [20, 30], [20, 10], [10, 10], [10, 30], [0, 30]])
    pts = np.array([[5, 5], [15, 20], [25, 25], [15, 5], [40, 5]])
    assert points_in_polygon(pts, u).tolist() == [True, False, True, True, False]


def test_zone_uses_the_ground_point():
    zone = PolygonZone("sidewalk", "sidewalk", [[0, 100], [200, 100], [200, 200], [0, 200]])
    # box overlapping the zone with its roof only: the wheels stand on the road above it
    d = dets([[10, 20, 60, 90], [10, 50, 60, 150], [300, 150, 350, 180]])
    assert zone.trigger(d).tolist() == [False, True, False]
    assert zone.scaled(0.5, 0.5).polygon.max() == 100


def test_overlap_and_greedy_match():
    iou, iomin = overlap([[0, 0, 10, 10]], [[0, 0, 10, 10], [5, 0, 15, 10], [2, 2, 4, 4]])
    assert iou[0].tolist() == pytest.approx([1.0, 1 / 3, 0.04], abs=1e-4)
    assert iomin[0, 2] == pytest.approx(1.0)
    score = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert greedy_match(score, score > 0.5) == [(0, 0)]
    assert sorted(greedy_match(score, np.ones_like(score, bool))) == [(0, 0), (1, 1)]
