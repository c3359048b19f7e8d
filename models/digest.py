"""The daily digest of a ward: what was detected where, what became of it, where it repeats; and the
city's overview of its wards."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .areas import address, label
from .schema import Event
from .vietnamese import sort_key
from .vocabulary import TYPE_WORDS, ReviewStatus


def day_events(session: Session, start: datetime, end: datetime, wards: list[str] | None) -> list[Event]:
    q = select(Event).where(Event.raised_at >= start, Event.raised_at < end).options(selectinload(Event.camera))
    if wards is not None:
        q = q.where(Event.ward.in_(wards))
    return list(session.scalars(q.order_by(Event.raised_at)))


@dataclass
class Repeat:
    camera_id: str
    camera_name: str
    zone: str
    type: str
    count: int
    event_ids: list[int]
    bbox: list[float]  # of the first event


@dataclass
class WardDigest:
    ward: str
    label: str  # "Phường Bến Thành"
    address: str  # "Phường Bến Thành, Thành phố Hồ Chí Minh"
    events: int = 0
    by_type: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    by_camera: dict = field(default_factory=dict)  # camera id -> {name, total, by type}
    by_zone: Counter = field(default_factory=Counter)  # "camera/zone" -> count
    repeats: list[Repeat] = field(default_factory=list)
    by_permit: Counter = field(default_factory=Counter)  # permit number -> violations by its holder

    @property
    def confirmation_rate(self) -> float | None:
        decided = self.by_status[ReviewStatus.CONFIRMED] + self.by_status[ReviewStatus.DISMISSED]
        return self.by_status[ReviewStatus.CONFIRMED] / decided if decided else None

    def to_dict(self) -> dict:
        return {
            "ward": self.ward, "label": self.label, "address": self.address, "events": self.events,
            "by_type": dict(self.by_type),
            "by_status": dict(self.by_status), "confirmation_rate": self.confirmation_rate,
            "by_camera": self.by_camera, "by_zone": dict(self.by_zone),
            "repeat_locations": [vars(r) for r in self.repeats],
            "permit_violations": sum(self.by_permit.values()), "by_permit": dict(self.by_permit),
        }


def _again_at(first: Event, later: Event) -> bool:
    """The same spot (boxes overlapping by IoU >= 0.3) after the first event there had ended: a
    repeat, not two objects side by side."""
    a, b = first.bbox, later.bbox
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    ended = first.ended_at is not None and first.ended_at <= later.started_at
    return union > 0 and inter / union >= 0.3 and ended


def permit_of(e: Event) -> dict | None:
    """The permit an event breaches (its holder outside the permit's hours or use), if any."""
    return ((e.details or {}).get("evidence") or {}).get("permit")


def digest(events: list[Event], kinds: dict[str, str], city: str) -> list[WardDigest]:
    """`kinds`: each ward's kind (models.areas.kinds_of), for its name in the address."""
    out: dict[str, WardDigest] = {}
    spots: dict[tuple, list[list[Event]]] = defaultdict(list)
    for e in events:
        d = out.get(e.ward)
        if d is None:
            kind = kinds.get(e.ward)
            d = out[e.ward] = WardDigest(e.ward, label(e.ward, kind), address(e.ward, kind, city))
        d.events += 1
        d.by_type[e.type] += 1
        d.by_status[e.status] += 1
        cam = d.by_camera.setdefault(e.camera_id, {"name": e.camera.name, "total": 0, "by_type": {}})
        cam["total"] += 1
        cam["by_type"][e.type] = cam["by_type"].get(e.type, 0) + 1
        d.by_zone[f"{e.camera_id}/{e.zone_name}"] += 1
        permit = permit_of(e)
        if permit:  # a licensed vendor outside their hours or use: counted apart from the rest
            d.by_permit[permit["number"]] += 1
        clusters = spots[(e.ward, e.camera_id, e.zone_name, e.type)]
        for c in clusters:
            if _again_at(c[-1], e):
                c.append(e)
                break
        else:
            clusters.append([e])
    for (ward, camera_id, zone, type_), clusters in spots.items():
        for c in clusters:
            if len(c) >= 2:
                out[ward].repeats.append(Repeat(camera_id, c[0].camera.name, zone, type_, len(c),
                                                    [e.id for e in c], c[0].bbox))
    for d in out.values():
        d.repeats.sort(key=lambda r: -r.count)
    return sorted(out.values(), key=lambda d: sort_key(d.ward))


def overview(digests: list[WardDigest]) -> dict:
    """The city at a glance: every ward's counts, and the wards where violations keep coming back
    to the same spot first (those are where a visit does most)."""
    wards = [{"ward": d.ward, "label": d.label, "events": d.events, "by_type": dict(d.by_type),
              "by_status": dict(d.by_status), "confirmation_rate": d.confirmation_rate,
              "repeat_locations": len(d.repeats), "repeat_events": sum(r.count for r in d.repeats)}
             for d in digests]
    ranked = sorted((w for w in wards if w["repeat_locations"]),
                    key=lambda w: (-w["repeat_locations"], -w["repeat_events"], sort_key(w["ward"])))
    return {"events": sum(d.events for d in digests), "wards": wards, "most_repeats": ranked[:10]}


CSV_HEADER = ["date", "ward", "address", "camera_id", "camera_name", "zone", "type", "events", "confirmed",
              "dismissed", "unreviewed"]
# the same columns for the office's own spreadsheets (the console asks for these)
CSV_HEADER_VI = ["ngày", "phường/xã", "địa chỉ", "mã camera", "tên camera", "khu vực", "loại vi phạm", "số vụ việc",
                 "đã xác nhận", "không vi phạm", "chưa xử lý"]


def csv_rows(events: list[Event], kinds: dict[str, str], city: str, day: str, lang: str = "en",
             zone_labels: dict[tuple[str, str], str] | None = None) -> list[list]:
    """The digest as spreadsheet rows: one per ward, camera, zone and type, wards in Vietnamese
    order, with each ward's address; `lang` "vi" names the types in Vietnamese."""
    rows: dict[tuple, dict] = {}
    for e in events:
        key = (e.ward, e.camera_id, e.camera.name, e.zone_name, e.type)
        r = rows.setdefault(key, {"events": 0, **{s.value: 0 for s in ReviewStatus}})
        r["events"] += 1
        r[e.status] += 1
    in_order = sorted(rows.items(), key=lambda kv: (sort_key(kv[0][0]), kv[0][1:]))
    named = TYPE_WORDS["vi"] if lang == "vi" else {}
    if lang == "vi" and zone_labels:  # zones as staff know them, not their codes
        in_order = [((w, c, n, zone_labels.get((c, z), z), t), r) for (w, c, n, z, t), r in in_order]
    return [[day, ward, address(ward, kinds.get(ward), city), cam_id, cam_name, zone, named.get(type_, type_),
             r["events"], r[ReviewStatus.CONFIRMED], r[ReviewStatus.DISMISSED], r[ReviewStatus.UNREVIEWED]]
            for (ward, cam_id, cam_name, zone, type_), r in in_order]
