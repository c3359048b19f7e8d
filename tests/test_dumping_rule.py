"""The dumping rule on scripted observations: owners, vetoes, passers-by, removal."""

import numpy as np

from vision.detections import Detections
from vision.observation import Observation
from vision.rules import DumpingRule
from vision.zones import PolygonZone

ZONE = PolygonZone("floor", "no_dumping", [[0, 200], [640, 200], [640, 480], [0, 480]])
BAG = [300, 320, 340, 360]  # 40 px wide
FPS = 2.0


def people(*objs):
    """objs: (box, track_id[, class_name])"""
    if not objs:
        return Detections.empty().with_data(class_name=np.zeros(0, object), category=np.zeros(0, object))
    names = [o[2] if len(o) > 2 else "person" for o in objs]
    cats = ["vehicle" if n in ("car", "truck") else n for n in names]
    return Detections(np.array([o[0] for o in objs], np.float32), np.full(len(objs), 0.9), np.zeros(len(objs)),
                      np.array([o[1] for o in objs]), {"class_name": np.array(names, object),
                                                        "category": np.array(cats, object)})


def static(*regions):
    """regions: (box, appeared_at, covered)"""
    n = len(regions)
    return Detections(
        np.array([r[0] for r in regions], np.float32).reshape(-1, 4), np.full(n, 0.8), np.full(n, -1),
        data={"class_name": np.full(n, "static_object", object), "appeared_at": np.array([r[1] for r in regions]),
              "covered": np.array([r[2] for r in regions], np.float32), "motion": np.zeros(n, np.float32)},
    )


def covered(person_box, region_box) -> float:
    x1, y1 = max(person_box[0], region_box[0]), max(person_box[1], region_box[1])
    x2, y2 = min(person_box[2], region_box[2]), min(person_box[3], region_box[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    return inter / ((region_box[2] - region_box[0]) * (region_box[3] - region_box[1]))


def play(rule, script, seconds):
    """script(t) -> (people, static regions); returns [(t, event)]."""
    out = []
    for i in range(int(seconds * FPS)):
        t = i / FPS
        p, s = script(t)
        out += [(t, e) for e in rule.update(Observation(t, p, s))]
    return out


def walk_away(t, t_leave, start=(345, 250, 385, 360), speed=120.0):
    """A person beside the bag until t_leave, then walking right at `speed` px/s."""
    dx = max(0.0, t - t_leave) * speed
    return [start[0] + dx, start[1], start[2] + dx, start[3]]


def test_raised_when_the_owner_has_gone_for_unattended_s():
    rule = DumpingRule(ZONE, unattended_s=5.0)

    def script(t):
        owner = walk_away(t, t_leave=10.0)
        regions = static((BAG, 3.0, 0.0)) if t >= 4.0 else static()
        return people((owner, 7)) if owner[0] < 640 else people(), regions

    events = play(rule, script, 30)
    assert [e.kind for _, e in events] == ["raised"]
    t, ev = events[0]
    v = ev.violation
    # the owner is more than two bag widths (80 px) away at ~10.5 s: due at ~15.5 s
    assert 15.0 <= t <= 16.5
    assert v.type == "dumping" and v.zone == "floor" and v.started_at == 3.0
    assert v.evidence["owner_track_id"] == 7 and 10.0 <= v.evidence["owner_left_at"] <= 11.0


def test_owner_out_of_view_counts_from_when_last_seen():
    rule = DumpingRule(ZONE, unattended_s=5.0)

    def script(t):
        p = people(((345, 250, 385, 360), 3)) if t < 8.0 else people()  # vanishes behind a door
        return p, static((BAG, 2.0, 0.0)) if t >= 3.0 else static()

    events = play(rule, script, 20)
    assert len(events) == 1 and 12.5 <= events[0][0] <= 13.5


def test_nobody_near_counts_from_when_it_was_seen():
    rule = DumpingRule(ZONE, unattended_s=5.0)
    events = play(rule, lambda t: (people(), static((BAG, 6.0, 0.0)) if t >= 6.0 else static()), 20)
    assert len(events) == 1 and events[0][0] == 11.0
    assert events[0][1].violation.evidence["owner_track_id"] is None


def test_owner_coming_back_restarts_the_clock():
    rule = DumpingRule(ZONE, unattended_s=5.0)

    def script(t):
        near = (345, 250, 385, 360)
        away = (600, 250, 640, 360)
        box = near if t < 6 or 9 <= t < 10 else away
        return people((box, 5)), static((BAG, 2.0, 0.0)) if t >= 3 else static()

    events = play(rule, script, 30)
    assert len(events) == 1 and 15.0 <= events[0][0] <= 15.5  # 5 s after the second departure


def test_a_person_standing_still_is_not_a_left_object():
    rule = DumpingRule(ZONE, unattended_s=5.0)
    person = [280, 150, 360, 380]

    def script(t):
        # the person stands a minute; the detector misses them one frame in four
        p = people((person, 9)) if int(t * FPS) % 4 else people()
        region = [285, 160, 355, 375]
        return p, static((region, 0.5, covered(person, region) if len(p) else 0.0)) if t >= 1 else static()

    assert play(rule, script, 60) == []


def test_passers_by_do_not_reset_the_clock():
    def run(with_passers: bool):
        rule = DumpingRule(ZONE, unattended_s=10.0)

        def script(t):
            if with_passers and t >= 4 and int(t) % 4 == 0:  # someone walks past in front every 4 s
                p = people(([290, 250, 350, 370], 100 + int(t)))
                return p, static((BAG, 1.0, 1.0))
            return people(), static((BAG, 1.0, 0.0))

        return play(rule, script, 30)

    assert [t for t, _ in run(True)] == [t for t, _ in run(False)] != []


def test_picked_up_before_the_alert_raises_nothing():
    rule = DumpingRule(ZONE, unattended_s=5.0)
    assert play(rule, lambda t: (people(), static((BAG, 1.0, 0.0)) if 1 <= t < 4 else static()), 20) == []


def test_picked_up_after_the_alert_ends_it_as_removed():
    rule = DumpingRule(ZONE, unattended_s=3.0)
    events = play(rule, lambda t: (people(), static((BAG, 1.0, 0.0)) if 1 <= t < 10 else static()), 20)
    assert [e.kind for _, e in events] == ["raised", "ended"]
    ended = events[1][1].violation
    assert ended.end_reason == "removed" and ended.ended_at == 9.5


def test_outside_the_zone_is_ignored():
    rule = DumpingRule(ZONE, unattended_s=2.0)
    assert play(rule, lambda t: (people(), static(([300, 100, 340, 150], 0.0, 0.0))), 20) == []


def test_reset_drops_candidates_that_were_not_alerted():
    rule = DumpingRule(ZONE, unattended_s=5.0)
    for i in range(6):
        rule.update(Observation(i / FPS, people(), static((BAG, 0.0, 0.0))))
    rule.update(Observation(3.0, people(), static(), reset=True))
    assert rule._cands == []
