"""Creating, ending and querying events. Each change writes its feed entry in the same
transaction, so nothing is announced that is not stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from . import audit, feed
from .schema import Camera, Event, User
from .serialize import event_message, iso
from .types import utcnow
from .vietnamese import matches
from .vocabulary import ClipState, DismissReason, EventState, LabelClass, ReviewStatus

DECISIONS = {"confirm": ReviewStatus.CONFIRMED, "dismiss": ReviewStatus.DISMISSED}


class ReviewError(ValueError):
    pass


@dataclass
class NewEvent:
    type: str
    camera_id: str
    zone_id: int | None
    zone_name: str
    category: str
    class_name: str
    confidence: float
    bbox: list[float]
    frame_width: int
    frame_height: int
    track_id: int | None
    started_at: datetime
    raised_at: datetime
    snapshot: str
    snapshot_annotated: str
    details: dict
    clip: str | None = None
    clip_state: str = ClipState.NONE
    clip_started_at: datetime | None = None
    event_key: str | None = None  # camera/type/zone/object start/violation: stored once, however often written


def create_event(session: Session, new: NewEvent) -> Event:
    """The new event and its feed entry; an event with the same `event_key` already stored is
    returned as it is (a write retried after its commit was lost announces nothing twice)."""
    camera = session.get(Camera, new.camera_id)
    if camera is None:
        raise ValueError(f"unknown camera {new.camera_id}")
    if new.event_key is not None:
        stored = session.scalar(select(Event).where(Event.event_key == new.event_key))
        if stored is not None:
            return stored
    entry = feed.append(session, "event.new", {}, camera_id=camera.id, ward=camera.ward)
    event = Event(id=entry.id, ward=camera.ward, **vars(new))
    event.camera = camera
    session.add(event)
    session.flush()
    entry.event_id = event.id
    entry.payload = event_message("event.new", event)
    return event


def end_event(session: Session, event_id: int, ended_at: datetime, reason: str) -> Event | None:
    event = session.get(Event, event_id)
    if event is None or event.state == EventState.ENDED:
        return event
    event.state = EventState.ENDED
    event.ended_at = ended_at
    event.end_reason = reason
    announce_update(session, event)
    return event


def announce_update(session: Session, event: Event) -> None:
    """Tells the consoles that the event changed (in the caller's transaction)."""
    session.flush()
    feed.append(session, "event.updated", event_message("event.updated", event), event_id=event.id,
                camera_id=event.camera_id, ward=event.ward)


def _review_state(e: Event) -> dict:
    return {"status": e.status, "review_reason": e.review_reason, "review_note": e.review_note,
            "reviewed_by": e.reviewer.username if e.reviewer else None, "reviewed_at": iso(e.reviewed_at)}


def acknowledge(session: Session, event: Event, user: User, ip: str | None = None) -> Event:
    """An operator has seen the alert (and, say, called a ward officer). Once is enough."""
    if event.acknowledged_at is not None:
        return event
    event.acknowledged_at, event.acknowledger = utcnow(), user
    audit.record(session, user, "event.acknowledge", "event", event.id, None,
                 {"acknowledged_at": iso(event.acknowledged_at)}, ip=ip)
    announce_update(session, event)
    return event


def review(session: Session, event: Event, user: User, decision: str, reason: str | None, note: str | None,
           ip: str | None = None) -> Event:
    """A supervisor's decision: a confirmed event is evidence for a fine; a dismissed one is not.
    Decisions can be revised; every one is in the audit log with the state before and after."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}")
    if reason is not None and reason not in DismissReason:
        raise ReviewError(f"reason must be one of {', '.join(DismissReason)}")
    if decision == "dismiss" and reason is None:
        raise ReviewError("dismissing needs a reason")
    if reason == "other" and not (note or "").strip():
        raise ReviewError("reason 'other' needs a note")
    before = _review_state(event)
    event.status = DECISIONS[decision]
    event.review_reason, event.review_note = reason, (note or "").strip() or None
    event.reviewer, event.reviewed_at = user, utcnow()
    if event.acknowledged_at is None:
        event.acknowledged_at, event.acknowledger = event.reviewed_at, user
    audit.record(session, user, f"event.{decision}", "event", event.id, before, _review_state(event),
                 note=event.review_note, ip=ip)
    announce_update(session, event)
    return event


def set_label(session: Session, event: Event, user: User, bbox: list[float], class_name: str,
              ip: str | None = None) -> Event:
    """The reviewer's box and class for the object (the detector's are kept beside them): what
    the office's own training set is made of. Audited with the label before and after."""
    if class_name not in LabelClass:
        raise ReviewError(f"class must be one of {', '.join(LabelClass)}")
    x1, y1, x2, y2 = bbox
    w, h = event.frame_width or float("inf"), event.frame_height or float("inf")
    if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
        raise ReviewError(f"bbox must be [x1, y1, x2, y2] inside the {event.frame_width}x{event.frame_height} picture")
    before = {"review_label": event.review_label}
    event.review_label = {"bbox": [round(float(v), 1) for v in bbox], "class_name": class_name, "by": user.username,
                          "by_name": user.display_name, "at": iso(utcnow())}
    audit.record(session, user, "event.label", "event", event.id, before, {"review_label": event.review_label}, ip=ip)
    announce_update(session, event)
    return event


def event_by_clip(session: Session, clip_path: str) -> Event | None:
    return session.scalar(select(Event).where(Event.clip == clip_path))


def recording_events(session: Session, camera_id: str) -> list[Event]:
    """Events whose clip was still being written (by a worker that then stopped)."""
    q = select(Event).where(Event.camera_id == camera_id, Event.clip_state == ClipState.RECORDING)
    return list(session.scalars(q))


def get_event(session: Session, event_id: int) -> Event | None:
    return session.scalar(select(Event).where(Event.id == event_id).options(
        selectinload(Event.camera), selectinload(Event.reviewer), selectinload(Event.acknowledger)))


def active_events(session: Session, camera_id: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.camera_id == camera_id, Event.state == EventState.ACTIVE)))


@dataclass
class EventFilter:
    camera_ids: list[str] | None = None
    types: list[str] | None = None
    statuses: list[str] | None = None
    states: list[str] | None = None
    wards: list[str] | None = None  # None: all; a list (even empty): only these
    zone_name: str | None = None
    since: datetime | None = None  # raised at or after
    until: datetime | None = None  # raised before
    search: str | None = None  # words of a street, camera, ward or zone; diacritics optional


def search_places(session: Session, text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The cameras (by name, id or ward) and the zones (by name or display name) that `text`
    names, as people type it: "le loi" finds "Lê Lợi – Nguyễn Huệ". A few thousand cameras at
    most: matched here rather than in SQL, which cannot fold Vietnamese diacritics."""
    cams, zones = [], []
    for cam in session.scalars(select(Camera).options(selectinload(Camera.zones))):
        if any(matches(text, v) for v in (cam.name, cam.id, cam.ward)):
            cams.append(cam.id)
            continue
        for z in cam.zones:
            if matches(text, z.name.replace("_", " ")) or matches(text, (z.params or {}).get("label") or ""):
                zones.append((cam.id, z.name))
    return cams, zones


def list_events(session: Session, f: EventFilter, limit: int = 50, offset: int = 0) -> tuple[list[Event], int]:
    """Newest first, with the total count for paging."""
    q = select(Event)
    if f.camera_ids:
        q = q.where(Event.camera_id.in_(f.camera_ids))
    if f.types:
        q = q.where(Event.type.in_(f.types))
    if f.statuses:
        q = q.where(Event.status.in_(f.statuses))
    if f.states:
        q = q.where(Event.state.in_(f.states))
    if f.wards is not None:
        q = q.where(Event.ward.in_(f.wards))
    if f.zone_name:
        q = q.where(Event.zone_name == f.zone_name)
    if f.search:
        cams, zones = search_places(session, f.search)
        q = q.where(or_(Event.camera_id.in_(cams),
                        *(and_(Event.camera_id == c, Event.zone_name == z) for c, z in zones)))
    if f.since:
        q = q.where(Event.raised_at >= f.since)
    if f.until:
        q = q.where(Event.raised_at < f.until)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    rows = session.scalars(
        q.order_by(Event.raised_at.desc(), Event.id.desc()).limit(limit).offset(offset).options(
            selectinload(Event.camera), selectinload(Event.reviewer), selectinload(Event.acknowledger)
        )
    )
    return list(rows), total
