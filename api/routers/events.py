from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.orm import Session

from models.events import EventFilter, get_event, list_events
from models.serialize import event_to_dict
from urbanwatch.config import Settings

from ..deps import get_session, get_settings

router = APIRouter(prefix="/api/events", tags=["events"])

EventType = Literal["encroachment", "dumping"]
Status = Literal["unreviewed", "confirmed", "dismissed"]
State = Literal["active", "ended"]


def _aware(t: datetime | None, tz: str) -> datetime | None:
    """Times without an offset are read as the console's local time."""
    if t is None or t.tzinfo is not None:
        return t
    return t.replace(tzinfo=ZoneInfo(tz))


@router.get("", summary="List events, newest first")
def events(
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    camera: Annotated[list[str] | None, Query(description="Camera id (repeatable)")] = None,
    type: Annotated[list[EventType] | None, Query(description="Event type (repeatable)")] = None,
    status: Annotated[list[Status] | None, Query(description="Review status (repeatable)")] = None,
    state: Annotated[list[State] | None, Query(description="active or ended (repeatable)")] = None,
    district: Annotated[list[str] | None, Query(description="District (repeatable)")] = None,
    zone: Annotated[str | None, Query(description="Zone name")] = None,
    since: Annotated[datetime | None, Query(description="Raised at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Raised before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    since, until = _aware(since, settings.timezone), _aware(until, settings.timezone)
    if since and until and since >= until:
        raise HTTPException(422, "'since' must be before 'until'")
    f = EventFilter(camera, type, status, state, district, zone, since, until)
    rows, total = list_events(session, f, limit, offset)
    return {"items": [event_to_dict(e) for e in rows], "total": total, "limit": limit, "offset": offset}


@router.get("/{event_id}", summary="One event")
def event(event_id: int, session: Session = Depends(get_session)) -> dict:
    e = get_event(session, event_id)
    if e is None:
        raise HTTPException(404, f"no event {event_id}")
    return event_to_dict(e)
