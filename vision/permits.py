"""When a zone's rule applies, and what a permit allows: Ho Chi Minh City licenses parts of some
sidewalks for a fee (trading, parking) in set hours, and markets run at night. A legal vendor must
not be flagged; the same vendor outside their hours, or using the place for something else, is a
violation that names the permit.

Times are judged in the office's local time (weekdays, hours and dates as written in a permit).
A violation the schedule or a permit allows is held back, not forgotten: once it is no longer
allowed (the permit's hours end with the stall still there) it is raised then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from .gated import GatedRule
from .geometry import points_in_polygon
from .violations import RuleEvent, Violation

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Interval = tuple[int, int]  # minutes after midnight; end < start runs past midnight into the next day


def parse_interval(text: str) -> Interval:
    """ "07:00-22:00" -> (420, 1320); "22:00-02:00" runs past midnight; "00:00-24:00" is all day."""
    try:
        a, b = (part.strip() for part in text.split("-"))
        (ah, am), (bh, bm) = (map(int, a.split(":")), map(int, b.split(":")))
    except ValueError:
        raise ValueError(f"'{text}': hours are written HH:MM-HH:MM") from None
    start, end = ah * 60 + am, bh * 60 + bm
    if not (0 <= start < 1440 and 0 <= end <= 1440 and 0 <= am < 60 and 0 <= bm < 60) or start == end:
        raise ValueError(f"'{text}': not a span of hours within a day (00:00-24:00)")
    return start, end


@dataclass(frozen=True)
class WeeklyHours:
    """Hours per weekday, and dates with their own hours (a holiday: none)."""

    days: tuple[tuple[Interval, ...], ...]  # Monday first, 7 entries
    exceptions: dict[date, tuple[Interval, ...]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict) -> WeeklyHours:
        """The stored form: {"hours": {"mon": ["07:00-22:00"], ...}, "except": {"2026-09-02": []}}."""
        hours = d.get("hours", {})
        days = tuple(tuple(parse_interval(s) for s in hours.get(day, [])) for day in DAYS)
        exceptions = {date.fromisoformat(k): tuple(parse_interval(s) for s in v)
                      for k, v in d.get("except", {}).items()}
        return cls(days, exceptions)

    def _of(self, day: date) -> tuple[Interval, ...]:
        return self.exceptions.get(day, self.days[day.weekday()])

    def covers(self, local: datetime) -> bool:
        """Whether `local` (a time in the office's zone) is within the hours: today's spans, and the
        part after midnight of yesterday's spans that run past it."""
        m = local.hour * 60 + local.minute + local.second / 60
        today, yesterday = local.date(), local.date() - timedelta(days=1)
        for start, end in self._of(today):
            if start <= m < end or (end < start and m >= start):
                return True
        return any(end < start and m < end for start, end in self._of(yesterday))


@dataclass(frozen=True)
class Permit:
    """A licence to use part of a zone: who, what for, when."""

    number: str
    holder: str
    hours: WeeklyHours
    uses: frozenset[str]  # categories or class names allowed there (goods: trading; vehicle: parking)
    valid_from: date
    valid_to: date
    polygon: np.ndarray | None = None  # the licensed part (camera pixels); None: the whole zone
    address: str | None = None

    @classmethod
    def from_dict(cls, d: dict) -> Permit:
        return cls(
            number=d["number"], holder=d["holder"], hours=WeeklyHours.from_dict(d["hours"]),
            uses=frozenset(d["uses"]), valid_from=date.fromisoformat(d["valid_from"]),
            valid_to=date.fromisoformat(d["valid_to"]),
            polygon=None if not d.get("polygon") else np.asarray(d["polygon"], np.float32), address=d.get("address"),
        )

    def covers_place(self, x: float, y: float) -> bool:
        return self.polygon is None or bool(points_in_polygon(np.array([[x, y]], np.float32), self.polygon)[0])

    def breach(self, local: datetime, category: str, class_name: str) -> str | None:
        """None when the permit allows this object now; otherwise why not."""
        if not self.valid_from <= local.date() <= self.valid_to:
            return "not_valid"
        if category not in self.uses and class_name not in self.uses:
            return "use_not_allowed"
        if not self.hours.covers(local):
            return "outside_hours"
        return None

    def record(self, why: str) -> dict:
        """What an event says about the permit it breaches (JSON-able)."""
        return {"number": self.number, "holder": self.holder, "address": self.address, "why": why,
                "valid_from": self.valid_from.isoformat(), "valid_to": self.valid_to.isoformat()}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None = None  # allowed: "schedule" or "permit"
    breach: dict | None = None  # not allowed, and a permit covers the place: which, and why


class ScheduledRule(GatedRule):
    """A zone rule behind its zone's schedule and its permits: the violations that are allowed
    now are held back."""

    def __init__(self, rule, schedule: WeeklyHours | None, permits: list[Permit], timezone: str):
        super().__init__(rule)
        self.schedule = schedule
        self.permits = permits
        self.tz = ZoneInfo(timezone)

    def judge(self, v: Violation, t: float) -> Verdict:
        local = datetime.fromtimestamp(t, self.tz)
        if self.schedule is not None and not self.schedule.covers(local):
            return Verdict(True, "schedule")
        if v.type != "encroachment":  # nobody is licensed to dump
            return Verdict(False)
        x, y = (v.bbox[0] + v.bbox[2]) / 2, v.bbox[3]  # where it stands: the box's ground point
        covering = [p for p in self.permits if p.covers_place(x, y)]
        breaches = [(p, p.breach(local, v.category, v.class_name)) for p in covering]
        if any(why is None for _, why in breaches):
            return Verdict(True, "permit")
        if breaches:
            p, why = breaches[0]
            return Verdict(False, breach=p.record(why))
        return Verdict(False)

    def _announce(self, v: Violation, verdict: Verdict, t: float, held: bool) -> RuleEvent:
        if verdict.breach:
            v.evidence["permit"] = verdict.breach
        if held:
            v.evidence["held_until"] = t  # allowed until now (the schedule or a permit); a violation from now
            v.raised_at = t
        return RuleEvent.of("raised", v)

    def update(self, obs) -> list[RuleEvent]:
        out: list[RuleEvent] = []
        events = self.rule.update(obs)
        live = {v.id: v for v in self.rule.active}  # the rule's own objects: what is noted stays noted
        for ev in events:
            v = ev.violation
            if ev.kind == "raised":
                verdict = self.judge(v, obs.t)
                if verdict.allowed:
                    self._held[v.id] = verdict
                    continue
                out.append(self._announce(live.get(v.id, v), verdict, obs.t, held=False))
            elif self._held.pop(v.id, None) is None:  # an allowed one ends unannounced
                out.append(ev)
        for v in self.rule.active:  # held back until now: still allowed?
            if v.id in self._held:
                verdict = self.judge(v, obs.t)
                if not verdict.allowed:
                    del self._held[v.id]
                    out.append(self._announce(v, verdict, obs.t, held=True))
        return out
