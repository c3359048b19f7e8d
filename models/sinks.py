"""Where each outgoing sink stands in the feed, and what it gave up on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import feed
from .schema import SinkFailure, SinkPosition
from .serialize import iso


def position(session: Session, sink: str) -> int:
    """The last feed id the sink delivered; a new sink starts at the end of the feed (it is not
    flooded with history), and from then on resumes where it stopped."""
    row = session.get(SinkPosition, sink)
    if row is None:
        row = SinkPosition(name=sink, last_id=feed.last_id(session))
        session.add(row)
        session.flush()
    return row.last_id


def advance(session: Session, sink: str, feed_id: int) -> None:
    row = session.get(SinkPosition, sink)
    if row is None:
        session.add(SinkPosition(name=sink, last_id=feed_id))
    elif feed_id > row.last_id:
        row.last_id = feed_id


def give_up(session: Session, sink: str, feed_id: int, attempts: int, error: str) -> None:
    """Records the dead letter and moves past it, in one transaction."""
    session.add(SinkFailure(sink=sink, feed_id=feed_id, attempts=attempts, error=error[:2000]))
    advance(session, sink, feed_id)


def failures(session: Session, limit: int = 100, offset: int = 0) -> list[dict]:
    rows = session.scalars(select(SinkFailure).order_by(SinkFailure.id.desc()).limit(limit).offset(offset))
    return [{"id": f.id, "sink": f.sink, "feed_id": f.feed_id, "attempts": f.attempts, "error": f.error,
             "at": iso(f.at)} for f in rows]
