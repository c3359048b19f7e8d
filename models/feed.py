"""The feed: an append-only, totally ordered log of what consoles are told.

A console that reconnects with `since=<id of the last message it got>` receives every entry after
it, then live ones, with no gap and no duplicate. For that, entries must become visible in id
order: writers are serialised (SQLite: the write transaction holds the database lock; PostgreSQL:
a transaction-level advisory lock), so no entry can commit after a higher id was already read.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .schema import FeedEntry

_PG_LOCK_KEY = 0x75726277  # arbitrary, constant: "urbw"


def lock_feed(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def append(
    session: Session,
    type: str,
    payload: dict,
    *,
    event_id: int | None = None,
    camera_id: str | None = None,
    ward: str | None = None,
) -> FeedEntry:
    """Adds an entry in the caller's transaction; it is published when that commits."""
    lock_feed(session)
    entry = FeedEntry(type=type, payload=payload, event_id=event_id, camera_id=camera_id, ward=ward)
    session.add(entry)
    session.flush()
    return entry


PAGE = 500  # feed entries read at once


def after(session: Session, after_id: int, limit: int = PAGE) -> list[FeedEntry]:
    return list(
        session.scalars(select(FeedEntry).where(FeedEntry.id > after_id).order_by(FeedEntry.id).limit(limit))
    )


def page_after(session: Session, after_id: int, limit: int = PAGE) -> tuple[list[FeedEntry], bool]:
    """A page of entries after `after_id`, and whether more follow it (the reader asks again at
    once rather than guessing from the page's length)."""
    entries = after(session, after_id, limit + 1)
    return entries[:limit], len(entries) > limit


def last_id(session: Session) -> int:
    return session.scalar(select(FeedEntry.id).order_by(FeedEntry.id.desc()).limit(1)) or 0


def for_event(session: Session, event_id: int) -> list[FeedEntry]:
    return list(session.scalars(select(FeedEntry).where(FeedEntry.event_id == event_id).order_by(FeedEntry.id)))
