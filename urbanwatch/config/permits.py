"""When a zone's rule applies (its schedule), and the permits that allow part of a zone to be used:
trading or parking licensed for a fee in set hours (the city's temporary sidewalk-use permits).

Hours are written as people write them: `mon-fri: "07:00-22:00"`, `sat: "07:00-12:00, 14:00-22:00"`,
`daily: "17:00-02:00"` (past midnight), `sun: []` (not at all); dates with their own hours under
`except` (`"2026-09-02": []` for a holiday). They are stored in one form: every weekday spelled out.
"""

import re
from datetime import date

from pydantic import Field, field_validator, model_validator

from .base import Section

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
USES = {"trading": "goods", "parking": "vehicle"}  # words of a permit, to the categories they allow


def _spans(value) -> list[str]:
    """ "07:00-12:00, 14:00-22:00" or a list of such, checked: ["07:00-12:00", "14:00-22:00"]."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        for span in str(item).split(","):
            span = span.strip().replace(" ", "")
            m = _SPAN.match(span)
            if not m or (m.group(3) == "24" and m.group(4) != "00") or span[:5] == span[6:]:
                raise ValueError(f"'{span}': hours are written HH:MM-HH:MM (00:00-24:00; past midnight: 22:00-02:00)")
            out.append(span)
    return out


def _days(key: str) -> list[str]:
    """ "mon-fri" -> mon..fri; "daily" -> every day; "sat" -> sat."""
    key = key.strip().lower()
    if key == "daily":
        return list(DAYS)
    if "-" in key:
        a, b = key.split("-", 1)
        if a in DAYS and b in DAYS and DAYS.index(a) <= DAYS.index(b):
            return list(DAYS[DAYS.index(a): DAYS.index(b) + 1])
    if key in DAYS:
        return [key]
    raise ValueError(f"'{key}': days are mon, tue, wed, thu, fri, sat, sun, a range (mon-fri) or daily")


class ScheduleConfig(Section):
    hours: dict[str, list[str]] = Field(
        default_factory=dict, title="Hours",
        description="Per weekday (mon..sun, a range like mon-fri, or daily): spans HH:MM-HH:MM. Days not "
        "named: not at all.",
    )
    exceptions: dict[date, list[str]] = Field(
        default_factory=dict, alias="except", title="Exception dates",
        description="Dates (YYYY-MM-DD) with their own hours; [] for none (a holiday).",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data):
        """Days may be given at the top level: {mon-fri: "07:00-22:00", except: {...}}."""
        if isinstance(data, dict) and "hours" not in data:
            data = {"hours": {k: v for k, v in data.items() if k != "except"},
                    **({"except": data["except"]} if "except" in data else {})}
        return data

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, v):
        out: dict[str, list[str]] = {}
        for key, spans in (v or {}).items():
            for day in _days(str(key)):
                out.setdefault(day, []).extend(_spans(spans) if spans not in (None, []) else [])
        return out

    @field_validator("exceptions", mode="before")
    @classmethod
    def _exceptions(cls, v):
        return {k: (_spans(spans) if spans not in (None, []) else []) for k, spans in (v or {}).items()}

    def stored(self) -> dict:
        """The one form rules read: {"hours": {"mon": [...], ...}, "except": {"YYYY-MM-DD": [...]}}."""
        return {"hours": {d: list(self.hours.get(d, [])) for d in DAYS},
                "except": {k.isoformat(): list(v) for k, v in sorted(self.exceptions.items())}}


class PermitConfig(Section):
    """A temporary sidewalk-use permit, in the zone it is listed under."""

    number: str = Field(..., min_length=1, max_length=64, title="Permit number", description='e.g. "125/GP-UBND"')
    holder: str = Field(..., min_length=1, max_length=200, title="Holder", description="Person or business")
    address: str | None = Field(None, max_length=300, title="Address", description="The holder's address")
    polygon: list[tuple[float, float]] | None = Field(
        None, title="Area", description="The licensed part of the zone, camera pixels (default: the whole zone)"
    )
    uses: list[str] = Field(
        ..., min_length=1, title="Allowed use",
        description="trading (goods, tables, stools), parking (vehicles), or categories/class names",
    )
    hours: ScheduleConfig = Field(..., title="Allowed hours")
    valid_from: date = Field(..., title="Valid from")
    valid_to: date = Field(..., title="Valid to")

    @field_validator("uses")
    @classmethod
    def _uses(cls, v: list[str]) -> list[str]:
        return sorted({USES.get(u, u) for u in v})

    @field_validator("polygon")
    @classmethod
    def _polygon(cls, v):
        if v is not None and len(v) < 3:
            raise ValueError("needs at least 3 points")
        return v

    @model_validator(mode="after")
    def _dates(self) -> "PermitConfig":
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    def stored(self) -> dict:
        return {"number": self.number, "holder": self.holder, "address": self.address,
                "polygon": [list(p) for p in self.polygon] if self.polygon else None, "uses": self.uses,
                "hours": self.hours.stored(), "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat()}
