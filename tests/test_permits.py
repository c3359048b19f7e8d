"""Zone schedules and temporary sidewalk-use permits, on the real sidewalk rule with scripted
detections, in the office's local time (Asia/Ho_Chi_Minh, UTC+7)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from urbanwatch.config.camera import ZoneConfig
from vision.observation import Observation
from vision.permits import Permit, ScheduledRule, WeeklyHours
from vision.rules import SidewalkEncroachmentRule

from .test_encroachment_rule import CAR, NO_STATIC, ZONE, frame, jitter

TZ = "Asia/Ho_Chi_Minh"
STALL = [20, 150, 80, 200]  # goods set out at the left end of the zone: ground point (50, 200)
STALL_AREA = [[0, 100], [100, 100], [100, 300], [0, 300]]  # the licensed part of the zone


def local(*args) -> float:
    return datetime(*args, tzinfo=ZoneInfo(TZ)).timestamp()


def zone(**extra) -> ZoneConfig:
    return ZoneConfig.model_validate({"name": "via_he", "kind": "sidewalk", "polygon": ZONE.polygon.tolist(),
                                      "dwell_s": 10, "objects": ["vehicle", "goods"], **extra})


PERMIT = {"number": "125/GP-UBND", "holder": "Nguyễn Thị Lan", "address": "12 Lê Lợi", "polygon": STALL_AREA,
          "uses": ["trading"], "hours": {"daily": "17:00-23:00"}, "valid_from": "2026-01-01",
          "valid_to": "2026-12-31"}


def gated(z: ZoneConfig) -> ScheduledRule:
    p = z.params
    rule = SidewalkEncroachmentRule(ZONE, {"vehicle", "goods"}, 10.0, leave_after_s=5.0)
    schedule = WeeklyHours.from_dict(p["schedule"]) if "schedule" in p else None
    return ScheduledRule(rule, schedule, [Permit.from_dict(d) for d in p.get("permits", [])], TZ)


def run(rule, t0: float, seconds: float, *objs, fps=1.0):
    """The objects standing still for `seconds` from t0; the rule's events with their times."""
    out = []
    for i in range(int(seconds * fps)):
        t = t0 + i / fps
        f = frame(*[(jitter(box, i), name, tid, cat) for box, name, tid, cat in objs])
        out += [(t, e) for e in rule.update(Observation(t, f, NO_STATIC))]
    return out


def test_hours_past_midnight_and_exception_dates():
    h = WeeklyHours.from_dict(zone(schedule={"mon-fri": "07:00-22:00", "sat": "22:00-02:00",
                                             "except": {"2026-09-02": []}}).params["schedule"])
    tz = ZoneInfo(TZ)
    assert h.covers(datetime(2026, 12, 2, 7, 0, tzinfo=tz))  # Wednesday, opening minute
    assert not h.covers(datetime(2026, 12, 2, 22, 0, tzinfo=tz))  # closing minute: closed
    assert not h.covers(datetime(2026, 12, 2, 6, 59, tzinfo=tz))
    assert h.covers(datetime(2026, 12, 5, 23, 30, tzinfo=tz))  # Saturday night
    assert h.covers(datetime(2026, 12, 6, 1, 59, tzinfo=tz))  # ... past midnight, into Sunday
    assert not h.covers(datetime(2026, 12, 6, 2, 0, tzinfo=tz))
    assert not h.covers(datetime(2026, 12, 6, 12, 0, tzinfo=tz))  # Sunday: not listed, not at all
    assert not h.covers(datetime(2026, 9, 2, 12, 0, tzinfo=tz))  # National Day, a Wednesday: exception


def test_bad_hours_are_refused_with_the_reason():
    for bad, words in [({"mon": "7-22"}, "HH:MM-HH:MM"), ({"funday": "07:00-08:00"}, "days are"),
                       ({"mon": "25:00-26:00"}, "HH:MM-HH:MM")]:
        with pytest.raises(ValueError, match=words):
            zone(schedule=bad)
    with pytest.raises(ValueError, match="valid_to is before valid_from"):
        zone(permits=[{**PERMIT, "valid_to": "2025-12-31"}])
    with pytest.raises(ValueError, match="nobody is licensed to dump"):
        ZoneConfig.model_validate({"name": "z", "kind": "no_dumping", "polygon": ZONE.polygon.tolist(),
                                   "permits": [PERMIT]})


def test_a_permit_silences_goods_in_its_hours_and_names_itself_after_them():
    rule = gated(zone(permits=[PERMIT]))
    # a stall set out at 22:50 inside the licensed area: allowed until 23:00, then a violation
    events = run(rule, local(2026, 12, 2, 22, 50), 20 * 60, (STALL, "static_object", 1, "goods"))
    assert [e.kind for _, e in events] == ["raised"]
    t, ev = events[0]
    assert t == local(2026, 12, 2, 23, 0)  # the minute the permit's hours end
    permit = ev.violation.evidence["permit"]
    assert permit["number"] == "125/GP-UBND" and permit["why"] == "outside_hours"
    assert ev.violation.raised_at == t and ev.violation.evidence["held_until"] == t


def test_a_permit_holder_out_of_hours_is_named_at_once():
    rule = gated(zone(permits=[PERMIT]))
    events = run(rule, local(2026, 12, 2, 9, 0), 30, (STALL, "static_object", 1, "goods"))
    (t, ev), = events
    assert t == local(2026, 12, 2, 9, 0, 10)  # after the dwell, as without a permit
    assert ev.violation.evidence["permit"]["why"] == "outside_hours"


def test_a_use_the_permit_does_not_allow_is_a_violation_naming_it():
    rule = gated(zone(permits=[PERMIT]))
    car = [20, 150, 90, 210]  # a car parked on the trading stall's place, in its hours
    (t, ev), = run(rule, local(2026, 12, 2, 18, 0), 30, (car, "car", 1, "vehicle"))
    assert ev.violation.evidence["permit"]["why"] == "use_not_allowed"


def test_outside_the_licensed_area_the_permit_says_nothing():
    rule = gated(zone(permits=[PERMIT]))
    (t, ev), = run(rule, local(2026, 12, 2, 18, 0), 30, (CAR, "car", 1, "vehicle"))
    assert "permit" not in ev.violation.evidence


def test_an_expired_permit_is_named():
    rule = gated(zone(permits=[{**PERMIT, "valid_to": "2026-11-30"}]))
    (t, ev), = run(rule, local(2026, 12, 2, 18, 0), 30, (STALL, "static_object", 1, "goods"))
    assert ev.violation.evidence["permit"]["why"] == "not_valid"


def test_a_zone_outside_its_schedule_holds_until_it_applies_and_forgets_what_left():
    rule = gated(zone(schedule={"daily": "07:00-22:00"}))
    # a car from 21:59:55 past 22:00: its dwell ends after the zone closed: nothing
    events = run(rule, local(2026, 12, 2, 21, 59, 55), 60, (CAR, "car", 1, "vehicle"))
    assert events == [] and rule.active == []
    # it leaves at night: nothing to end, nothing announced
    assert [e for _, e in run(rule, local(2026, 12, 2, 22, 1), 30)] == []
    # a stall through the night is raised when the zone applies again, at 07:00
    events = run(rule, local(2026, 12, 3, 6, 59), 120, (STALL, "static_object", 2, "goods"))
    assert [(t, e.kind) for t, e in events] == [(local(2026, 12, 3, 7, 0), "raised")]


def test_the_digest_counts_permit_holders_apart(db):
    """A day's digest says how many violations were permit holders outside their permit."""
    from models.digest import digest
    from models.events import create_event

    from .helpers import add_camera, new_event

    add_camera(db, "cam1", "Bến Thành")
    with db.write() as s:
        for minutes, permit in [(0, None), (1, "125/GP-UBND"), (2, "125/GP-UBND"), (3, "88/GP-UBND")]:
            ne = new_event(minutes=minutes)
            if permit:
                ne.details = {**ne.details, "evidence": {"permit": {"number": permit, "why": "outside_hours"}}}
            create_event(s, ne)
    with db.session() as s:
        from models.schema import Event

        (d,) = digest(list(s.query(Event)), {"Bến Thành": "ward"}, "Thành phố Hồ Chí Minh")
        out = d.to_dict()
    assert out["events"] == 4 and out["permit_violations"] == 3
    assert out["by_permit"] == {"125/GP-UBND": 2, "88/GP-UBND": 1}
