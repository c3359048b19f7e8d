from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from models import audit, feed
from models.events import EventFilter, ReviewError, acknowledge, get_event, list_events, review, set_label
from models.schema import Event, User
from models.serialize import event_to_dict, feed_message
from models.vocabulary import DismissReason, EventState, EventType, LabelClass, ReviewStatus
from urbanwatch.config import Settings

from ..deps import DbDep, get_session, get_settings
from ..params import EventId, IdList, Moment, Offset, refusals
from ..schemas import EventOut, EventPage, EventsOut, TimelineOut
from ..security import Principal, client_ip, signed_in, supervisor, wards_asked
from .suppressions import learn

router = APIRouter(prefix="/api/events", tags=["events"], responses=refusals(401, 403, 404))


Decision = Literal["confirm", "dismiss"]


def _aware(t: datetime | None, tz: str) -> datetime | None:
    """Times without an offset are read as the console's local time."""
    if t is None or t.tzinfo is not None:
        return t
    return t.replace(tzinfo=ZoneInfo(tz))


def visible_event(session: Session, p: Principal, event_id: int) -> Event:
    """The event if it exists and is in the caller's wards; 404 either way otherwise, so that
    other wards' events are not even confirmed to exist."""
    e = get_event(session, event_id)
    if e is None or not p.scope.allows(e.ward):
        raise HTTPException(404, f"no event {event_id}")
    return e


@router.get("", summary="List events, newest first", response_model=EventPage)
def events(
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    p: Principal = Depends(signed_in),
    camera: Annotated[list[str] | None, Query(description="Camera id (repeatable)")] = None,
    type: Annotated[list[EventType] | None, Query(description="Event type (repeatable)")] = None,
    status: Annotated[list[ReviewStatus] | None, Query(description="Review status (repeatable)")] = None,
    state: Annotated[list[EventState] | None, Query(description="active or ended (repeatable)")] = None,
    ward: Annotated[list[str] | None, Query(description="Ward or commune, exact name (repeatable)")] = None,
    area: Annotated[list[str] | None, Query(description="Ward, commune or group of them; diacritics optional "
                                              "(repeatable)")] = None,
    zone: Annotated[str | None, Query(description="Zone name")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Search: words of a camera's name (its street), "
                                   "its id, its ward, or a zone's name; diacritics and case optional")] = None,
    since: Annotated[Moment | None, Query(description="Raised at or after (ISO 8601)")] = None,
    until: Annotated[Moment | None, Query(description="Raised before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict:
    since, until = _aware(since, settings.timezone), _aware(until, settings.timezone)
    if since and until and since >= until:
        raise HTTPException(422, "'since' must be before 'until'")
    wards = wards_asked(session, p, ward, area)
    if wards == []:  # asked only for wards out of reach
        return {"items": [], "total": 0, "limit": limit, "offset": offset}
    search = (q or "").strip() or None
    f = EventFilter(camera, type, status, state, wards, zone, since, until, search)
    rows, total = list_events(session, f, limit, offset)
    return {"items": [event_to_dict(e) for e in rows], "total": total, "limit": limit, "offset": offset}


@router.get("/{event_id}", summary="One event", response_model=EventOut)
def event(event_id: EventId, session: Session = Depends(get_session), p: Principal = Depends(signed_in)) -> dict:
    return event_to_dict(visible_event(session, p, event_id))


@router.get("/{event_id}/timeline", response_model=TimelineOut,
            summary="Everything that happened to an event, oldest first")
def timeline(event_id: EventId, session: Session = Depends(get_session), p: Principal = Depends(signed_in)) -> dict:
    e = visible_event(session, p, event_id)
    items = []
    for entry in feed.for_event(session, e.id):
        m = feed_message(entry)
        items.append({"at": m["at"], "kind": entry.type, "state": m["event"]["state"], "status": m["event"]["status"]})
    for a in reversed(audit.entries(session, "event", e.id)):
        d = audit.entry_to_dict(a)
        items.append({"at": d["at"], "kind": d["action"], "by": d["username"], "by_name": d["display_name"],
                      "before": d["before"], "after": d["after"], "note": d["note"]})
    items.sort(key=lambda i: i["at"])
    return {"event": event_to_dict(e), "timeline": items}


@router.post("/{event_id}/ack", summary="Acknowledge an alert (operators and up)", response_model=EventOut)
def ack(event_id: EventId, request: Request, db: DbDep, p: Principal = Depends(signed_in)) -> dict:
    with db.write() as s:
        e = visible_event(s, p, event_id)
        acknowledge(s, e, s.get(User, p.user.id), client_ip(request))
        return event_to_dict(e)


class ReviewBody(BaseModel):
    decision: Decision
    reason: DismissReason | None = Field(None, description="Required to dismiss")
    note: str | None = Field(None, max_length=2000)


class BulkReviewBody(ReviewBody):
    ids: IdList = Field(min_length=1, max_length=500)


@router.post("/{event_id}/review", summary="Confirm or dismiss (supervisors)", response_model=EventOut)
def review_one(event_id: EventId, body: ReviewBody, request: Request, db: DbDep,
               settings: Settings = Depends(get_settings), p: Principal = Depends(supervisor)) -> dict:
    """A dismissal as a false detection also teaches the camera (see `suppressions.learn`)."""
    with db.write() as s:
        e = visible_event(s, p, event_id)
        user = s.get(User, p.user.id)
        try:
            review(s, e, user, body.decision, body.reason, body.note, client_ip(request))
        except ReviewError as exc:
            raise HTTPException(422, str(exc)) from None
        learn(s, settings, e, user, client_ip(request))
        return event_to_dict(e)


class LabelBody(BaseModel):
    bbox: list[float] = Field(min_length=4, max_length=4, description="[x1, y1, x2, y2], camera pixels")
    class_name: LabelClass = Field(description="What the object is, in the office's classes")


@router.put("/{event_id}/label", summary="The reviewer's box and class for the object (supervisors)",
            response_model=EventOut)
def label(event_id: EventId, body: LabelBody, request: Request, db: DbDep, p: Principal = Depends(supervisor)) -> dict:
    with db.write() as s:
        e = visible_event(s, p, event_id)
        try:
            set_label(s, e, s.get(User, p.user.id), body.bbox, body.class_name, client_ip(request))
        except ReviewError as exc:
            raise HTTPException(422, str(exc)) from None
        return event_to_dict(e)


@router.post("/review", summary="Confirm or dismiss many events at once (supervisors)", response_model=EventsOut)
def review_many(body: BulkReviewBody, request: Request, db: DbDep, settings: Settings = Depends(get_settings),
                p: Principal = Depends(supervisor)) -> dict:
    """All or nothing: if any event is out of reach or the decision is invalid, none is changed."""
    with db.write() as s:
        user = s.get(User, p.user.id)
        done = []
        for event_id in dict.fromkeys(body.ids):
            e = visible_event(s, p, event_id)
            try:
                review(s, e, user, body.decision, body.reason, body.note, client_ip(request))
            except ReviewError as exc:
                raise HTTPException(422, str(exc)) from None
            learn(s, settings, e, user, client_ip(request))
            done.append(event_to_dict(e))
    return {"items": done}
