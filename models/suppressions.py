"""Hard-negative memory, stored: suppressions made by dismissing an event as a false detection
(`vision/hard_negatives.py` judges them; the API computes the look from the event's snapshot)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .schema import Event, Suppression, User
from .serialize import iso
from .types import utcnow


def suppression_to_dict(s: Suppression) -> dict:
    return {"id": s.id, "camera_id": s.camera_id, "event_id": s.event_id, "zone": s.zone_name,
            "category": s.category, "class_name": s.class_name, "bbox": [float(v) for v in s.bbox],
            "created_by": s.creator.username if s.creator is not None else None,
            "created_by_name": s.creator.display_name if s.creator is not None else None,
            "created_at": iso(s.created_at),
            "expires_at": iso(s.expires_at), "hits": s.hits, "last_hit_at": iso(s.last_hit_at)}


def _audited(s: Suppression) -> dict:
    d = suppression_to_dict(s)
    d.pop("created_by"), d.pop("created_by_name"), d.pop("hits"), d.pop("last_hit_at")
    return d


def create(session: Session, event: Event, user: User | None, signature: dict, days: float,
           ip: str | None = None) -> Suppression:
    """The suppression made by dismissing `event` as a false detection (one per event: a second
    dismissal renews it)."""
    old = session.scalar(select(Suppression).where(Suppression.event_id == event.id))
    if old is not None:
        session.delete(old)
        session.flush()
    now = utcnow()
    s = Suppression(camera_id=event.camera_id, event_id=event.id, zone_name=event.zone_name, category=event.category,
                    class_name=event.class_name, bbox=[float(v) for v in event.bbox], signature=signature,
                    created_by=user.id if user else None, created_at=now, expires_at=now + timedelta(days=days))
    session.add(s)
    session.flush()
    audit.record(session, user, "suppression.create", "suppression", s.id, None, _audited(s), ip=ip)
    return s


def remove(session: Session, s: Suppression, user: User | None, because: dict | None = None,
           note: str | None = None, ip: str | None = None) -> None:
    """`because`: why, as data (kept as the audit entry's `after`); `note`: a person's words."""
    audit.record(session, user, "suppression.remove", "suppression", s.id, _audited(s), because, note=note, ip=ip)
    session.delete(s)
    session.flush()


def of_event(session: Session, event_id: int) -> Suppression | None:
    return session.scalar(select(Suppression).where(Suppression.event_id == event_id))


def of_camera(session: Session, camera_id: str, live_at: datetime | None = None) -> list[Suppression]:
    """The camera's suppressions, newest first; with `live_at`, only those not expired then."""
    q = select(Suppression).where(Suppression.camera_id == camera_id)
    if live_at is not None:
        q = q.where(Suppression.expires_at > live_at)
    return list(session.scalars(q.order_by(Suppression.id.desc())))


def live_for(session: Session, camera_ids: list[str], at: datetime) -> dict[str, list[Suppression]]:
    """What the workers follow: each camera's suppressions not expired at `at`."""
    out: dict[str, list[Suppression]] = {c: [] for c in camera_ids}
    q = select(Suppression).where(Suppression.camera_id.in_(camera_ids), Suppression.expires_at > at)
    for s in session.scalars(q.order_by(Suppression.id)):
        out[s.camera_id].append(s)
    return out


def record_hits(session: Session, hits: dict[int, tuple[int, datetime]]) -> None:
    """Violations held back since the last call: count and last time, per suppression (gone ones skipped)."""
    for sid, (count, last) in hits.items():
        s = session.get(Suppression, sid)
        if s is not None:
            s.hits += count
            s.last_hit_at = last if s.last_hit_at is None else max(s.last_hit_at, last)


def get(session: Session, suppression_id: int) -> Suppression | None:
    return session.get(Suppression, suppression_id)
