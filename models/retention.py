"""What evidence may be removed, and removing it. Rows stay (with their recorded hashes), only the
media files go; confirmed evidence is never removed before its retention ends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .evidence import files_of
from .media import MediaStore
from .schema import Event
from .types import utcnow
from .vocabulary import ReviewStatus

# When the disk fills up, media go in this order, oldest first; confirmed evidence never.
LOW_DISK_ORDER = (ReviewStatus.UNREVIEWED, ReviewStatus.DISMISSED)


def media_paths(session: Session, event: Event) -> list[str]:
    paths = {event.snapshot, event.snapshot_annotated, *(f.path for f in files_of(session, event.id))}
    if event.clip:
        paths.add(event.clip)
    paths.update((event.details or {}).get("crops", {}).values())
    return sorted(p for p in paths if p)


def expired(session: Session, now: datetime, days: dict[str, float]) -> list[Event]:
    """Events whose media are past the retention of their review status, oldest first."""
    out = []
    for status, keep in days.items():
        q = select(Event).where(Event.status == status, Event.media_purged_at.is_(None),
                                Event.raised_at < now - timedelta(days=keep)).order_by(Event.raised_at)
        out += list(session.scalars(q))
    return sorted(out, key=lambda e: e.raised_at)


def oldest_purgeable(session: Session) -> Iterator[Event]:
    """Media that may go early when the disk is full: oldest unreviewed, then oldest dismissed."""
    for status in LOW_DISK_ORDER:
        yield from session.scalars(select(Event).where(Event.status == status, Event.media_purged_at.is_(None))
                                   .order_by(Event.raised_at))


def purge(session: Session, media: MediaStore, event: Event, reason: str) -> int:
    """Deletes the event's media files; returns the bytes freed."""
    freed = 0
    for rel in media_paths(session, event):
        try:
            path = media.path(rel)
        except ValueError:
            continue
        if path.is_file():
            freed += path.stat().st_size
            path.unlink()
    event.media_purged_at = utcnow()
    audit.record(session, None, "event.purge", "event", event.id, {"status": event.status},
                 {"freed_bytes": freed}, note=reason)
    return freed
