"""The sidewalk rule on scripted detections: time, place and identity without any camera."""

import numpy as np

from vision.detections import Detections
from vision.observation import Observation
from vision.rules import SidewalkEncroachmentRule
from vision.zones import PolygonZone

NO_STATIC = Detections.empty().with_data(class_name=np.zeros(0, object), appeared_at=np.zeros(0),
                                         covered=np.zeros(0, np.float32))

ZONE = PolygonZone("via_he", "sidewalk", [[0, 100], [400, 100], [400, 300], [0, 300]])
CAR = [100, 150, 200, 220]  # ground point (150, 220) inside


def frame(*objs):
    """objs: (box, class_name, track_id[, category])"""
    if not objs:
        return Detections.empty().with_data(class_name=np.zeros(0, object), category=np.zeros(0, object))
    boxes = [o[0] for o in objs]
    names = [o[1] for o in objs]
    cats = [o[3] if len(o) > 3 else ("vehicle" if o[1] in ("car", "truck", "motorcycle") else o[1]) for o in objs]
    return Detections(
        np.array(boxes, np.float32), np.full(len(objs), 0.8), np.zeros(len(objs), np.int32),
        np.array([o[2] for o in objs]), {"class_name": np.array(names, object), "category": np.array(cats, object)},
    )


def rule(**kw):
    params = {"dwell_s": 10.0, "leave_after_s": 5.0}
    params.update(kw)
    return SidewalkEncroachmentRule(ZONE, {"vehicle", "chair"}, **params)


def run(r, frames, fps=2.0, t0=0.0):
    out = []
    for i, f in enumerate(frames):
        t = t0 + i / fps
        out += [(t, e) for e in r.update(Observation(t, f, NO_STATIC))]
    return out


def jitter(box, i, amp=3):
    dx = (i * 7) % (2 * amp + 1) - amp
    return [box[0] + dx, box[1] - dx, box[2] + dx, box[3] + dx]


def test_raises_once_after_dwell():
    r = rule()
    events = run(r, [frame((jitter(CAR, i), "car", 1)) for i in range(60)])
    assert [e.kind for _, e in events] == ["raised"]
    t, ev = events[0]
    assert t == 10.0  # exactly dwell_s after it came to rest, not a frame earlier
    v = ev.violation
    assert v.type == "encroachment" and v.zone == "via_he" and v.category == "vehicle" and v.class_name == "car"
    assert v.started_at == 0.0 and v.raised_at == 10.0 and v.ended_at is None


def test_nothing_before_dwell_or_outside_zone_or_wrong_class():
    r = rule()
    on_road = [100, 20, 200, 90]  # ground point above the zone
    events = run(r, [frame((CAR, "car", 1), (on_road, "car", 2), ([250, 150, 300, 280], "person", 3))
                     for _ in range(19)])
    assert events == []  # 9.0 s < dwell
    r = rule()
    assert run(r, [frame((on_road, "car", 2), ([250, 150, 300, 280], "person", 3)) for _ in range(60)]) == []


def test_moving_object_never_alerts():
    r = rule()
    frames = [frame(([10 + 12 * i, 150, 110 + 12 * i, 220], "car", 1)) for i in range(25)]
    assert run(r, frames) == []


def test_lost_and_found_track_is_the_same_object():
    r = rule()
    frames = [frame((CAR, "car", 1)) for _ in range(30)]  # alert at 10 s
    frames += [frame() for _ in range(6)]  # hidden 3 s behind a bus: less than leave_after_s
    frames += [frame((jitter(CAR, i), "car", 7)) for i in range(40)]  # found again, new track id
    events = run(r, frames)
    assert [e.kind for _, e in events] == ["raised"]


def test_class_flicker_within_category_is_the_same_object():
    r = rule()
    frames = [frame((CAR, "car" if i % 3 else "truck", 1)) for i in range(60)]
    assert [e.kind for _, e in run(r, frames)] == ["raised"]


def test_partly_hidden_object_does_not_alert_twice():
    r = rule()
    half = [100, 180, 150, 220]  # a pedestrian hides the left half: a smaller box inside the first
    frames = [frame((CAR, "car", 1)) for _ in range(25)]
    frames += [frame((half if i % 2 else CAR, "car", 1 if i % 2 == 0 else 9)) for i in range(60)]
    assert [e.kind for _, e in run(r, frames)] == ["raised"]


def test_ends_when_it_drives_away_on_its_track():
    r = rule()
    frames = [frame((CAR, "car", 1)) for _ in range(24)]
    frames += [frame(([100 + 80 * k, 150 - 30 * k, 200 + 80 * k, 220 - 30 * k], "car", 1)) for k in range(1, 5)]
    events = run(r, frames)
    assert [e.kind for _, e in events] == ["raised", "ended"]
    ended = events[1][1].violation
    assert ended.end_reason == "left" and ended.ended_at == 11.5  # last seen at rest
    assert events[1][0] <= 13.0  # noticed on the track within a frame or two


def test_ends_after_absence():
    r = rule(leave_after_s=5.0)
    frames = [frame((CAR, "car", 1)) for _ in range(24)] + [frame() for _ in range(12)]
    events = run(r, frames)
    assert [e.kind for _, e in events] == ["raised", "ended"]
    t_end, ended = events[1]
    assert ended.violation.ended_at == 11.5 and t_end == 16.5


def test_parked_again_later_is_a_new_event():
    r = rule(leave_after_s=2.0)
    frames = [frame((CAR, "car", 1)) for _ in range(24)] + [frame() for _ in range(6)]
    frames += [frame((CAR, "car", 5)) for _ in range(24)]
    assert [e.kind for _, e in run(r, frames)] == ["raised", "ended", "raised"]


def test_two_objects_two_alerts():
    r = rule()
    chair = [260, 200, 300, 260]
    frames = [frame((CAR, "car", 1), (chair, "chair", 2, "goods")) for _ in range(30)]
    events = run(r, frames)
    assert sorted(e.violation.class_name for _, e in events) == ["car", "chair"]


def test_restore_after_restart_does_not_alert_again():
    r = rule()
    events = run(r, [frame((CAR, "car", 1)) for _ in range(30)])
    v = events[0][1].violation
    fresh = rule()
    fresh.restore(v, t=100.0)
    assert run(fresh, [frame((jitter(CAR, i), "car", 3)) for i in range(40)], t0=100.0) == []
    assert len(fresh.active) == 1


def static_regions(*regions):
    """regions: (box, appeared_at, covered)"""
    n = len(regions)
    return Detections(
        np.array([r[0] for r in regions], np.float32).reshape(-1, 4), np.full(n, 0.7), np.full(n, -1),
        data={"class_name": np.full(n, "static_object", object), "appeared_at": np.array([r[1] for r in regions]),
              "covered": np.array([r[2] for r in regions], np.float32), "motion": np.zeros(n, np.float32)},
    )


def test_goods_without_a_detector_class_alert_from_static_evidence():
    """A stall set out on the sidewalk: no detection, a static region, dated from when it arrived."""
    r = SidewalkEncroachmentRule(ZONE, {"vehicle", "goods", "car"}, dwell_s=10.0)
    stall = [50, 180, 120, 260]
    events = []
    for i in range(40):
        t = i / 2
        st = static_regions((stall, 1.0, 0.0)) if t >= 2 else static_regions()
        events += [(t, e) for e in r.update(Observation(t, frame(), st))]
    assert [e.kind for _, e in events] == ["raised"]
    t, ev = events[0]
    assert t == 11.0 and ev.violation.category == "goods" and ev.violation.started_at == 1.0


def test_static_region_of_a_detected_car_is_not_a_second_alert():
    r = SidewalkEncroachmentRule(ZONE, {"vehicle", "goods", "car"}, dwell_s=5.0)
    events = []
    for i in range(40):
        t = i / 2
        st = static_regions(([102, 152, 198, 218], 0.0, 1.0), ([100, 150, 200, 215], 0.0, 0.3))
        events += [e for e in r.update(Observation(t, frame((CAR, "car", 1)), st))]
    assert [e.violation.class_name for e in events] == ["car"]


def test_zone_without_goods_ignores_static_regions():
    r = SidewalkEncroachmentRule(ZONE, {"vehicle", "car"}, dwell_s=2.0)
    out = [r.update(Observation(i / 2, frame(), static_regions(([50, 180, 120, 260], 0.0, 0.0)))) for i in range(20)]
    assert not any(out)
