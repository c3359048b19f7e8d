"""The nightly review: a day's incidents and each district's digest (also as CSV)."""

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from models.digest import day_events, digest

from ..deps import get_session
from ..security import Principal, signed_in

router = APIRouter(prefix="/api/digest", tags=["review"])


def _day_range(day: date, tz: str) -> tuple[datetime, datetime]:
    """A local calendar day (the office's), as a UTC range."""
    start = datetime.combine(day, time(0), ZoneInfo(tz))
    return start, start + timedelta(days=1)


def _districts(p: Principal, district: list[str] | None) -> list[str] | None:
    allowed = p.scope.filter()
    if district is None:
        return allowed
    return district if allowed is None else [d for d in district if d in allowed]


@router.get("", summary="Daily digest per district: counts by type, camera and zone, confirmation rate, "
            "repeat locations")
def daily_digest(
    request: Request,
    day: Annotated[date, Query(alias="date", description="Local day, YYYY-MM-DD")],
    district: Annotated[list[str] | None, Query()] = None,
    session: Session = Depends(get_session),
    p: Principal = Depends(signed_in),
) -> dict:
    start, end = _day_range(day, request.app.state.settings.timezone)
    events = day_events(session, start, end, _districts(p, district))
    return {"date": day.isoformat(), "timezone": request.app.state.settings.timezone,
            "districts": [d.to_dict() for d in digest(events)]}


@router.get(".csv", summary="The daily digest as CSV: one row per camera, zone and type", response_class=Response)
def daily_digest_csv(
    request: Request,
    day: Annotated[date, Query(alias="date")],
    district: Annotated[list[str] | None, Query()] = None,
    session: Session = Depends(get_session),
    p: Principal = Depends(signed_in),
) -> Response:
    start, end = _day_range(day, request.app.state.settings.timezone)
    rows: dict[tuple, dict] = {}
    for e in day_events(session, start, end, _districts(p, district)):
        key = (e.district, e.camera_id, e.camera.name, e.zone_name, e.type)
        r = rows.setdefault(key, {"events": 0, "confirmed": 0, "dismissed": 0, "unreviewed": 0})
        r["events"] += 1
        r[e.status] += 1
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["date", "district", "camera_id", "camera_name", "zone", "type", "events", "confirmed",
                "dismissed", "unreviewed"])
    for (dist, cam_id, cam_name, zone, type_), r in sorted(rows.items()):
        w.writerow([day.isoformat(), dist, cam_id, cam_name, zone, type_, r["events"], r["confirmed"],
                    r["dismissed"], r["unreviewed"]])
    # a byte-order mark, so that Excel reads the Vietnamese names as UTF-8
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="urbanwatch-digest-{day}.csv"'})
