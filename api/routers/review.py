"""The nightly review: a day's incidents and each ward's digest (also as CSV); the city overview."""

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import kinds_of
from models.digest import CSV_HEADER, CSV_HEADER_VI, csv_rows, day_events, digest, overview
from models.schema import Zone

from ..deps import SettingsDep, get_session
from ..params import Day, refusals
from ..schemas import DigestOut, OverviewOut
from ..security import Principal, signed_in, wards_asked

router = APIRouter(prefix="/api/digest", tags=["review"], responses=refusals(401, 403))


def _day_range(day: date, settings) -> tuple[datetime, datetime]:
    """The office's day `day` (from `day_start` local time to the same time the next day), as a range."""
    hh, mm = (int(v) for v in settings.day_start.split(":"))
    start = datetime.combine(day, time(hh, mm), ZoneInfo(settings.timezone))
    return start, start + timedelta(days=1)


WardQuery = Annotated[list[str] | None, Query(description="Ward or commune, exact name (repeatable)")]
AreaQuery = Annotated[list[str] | None, Query(description="Ward, commune or group; diacritics optional (repeatable)")]


def _digests(session: Session, settings, start: datetime, end: datetime, wards: list[str] | None):
    events = day_events(session, start, end, wards)
    return digest(events, kinds_of(session, {e.ward for e in events}), settings.areas.city)


@router.get("", response_model=DigestOut,
            summary="Daily digest per ward: counts by type, camera and zone, confirmation rate, repeat locations")
def daily_digest(
    settings: SettingsDep,
    day: Annotated[Day, Query(alias="date", description="Local day, YYYY-MM-DD")],
    ward: WardQuery = None,
    area: AreaQuery = None,
    session: Session = Depends(get_session),
    p: Principal = Depends(signed_in),
) -> dict:
    start, end = _day_range(day, settings)
    digests = _digests(session, settings, start, end, wards_asked(session, p, ward, area))
    return {"date": day.isoformat(), "timezone": settings.timezone, "day_start": settings.day_start,
            "city": settings.areas.city,
            "wards": [d.to_dict() for d in digests]}


@router.get("/overview", response_model=OverviewOut,
            summary="The city at a glance (city-wide accounts): each ward's events over a period, and the wards "
            "with most repeat locations")
def city_overview(
    settings: SettingsDep,
    day: Annotated[Day, Query(alias="date", description="Last local day of the period, YYYY-MM-DD")],
    days: Annotated[int, Query(ge=1, le=31, description="Length of the period in days")] = 7,
    session: Session = Depends(get_session),
    p: Principal = Depends(signed_in),
) -> dict:
    if not p.scope.city_wide:
        raise HTTPException(403, "the city overview is for city-wide accounts; your digest is per ward")
    first = day - timedelta(days=days - 1)
    start, end = _day_range(first, settings)[0], _day_range(day, settings)[1]
    digests = _digests(session, settings, start, end, None)
    return {"city": settings.areas.city, "from": first.isoformat(), "to": day.isoformat(),
            "timezone": settings.timezone, **overview(digests)}


@router.get(".csv", summary="The daily digest as CSV: one row per camera, zone and type", response_class=Response)
def daily_digest_csv(
    settings: SettingsDep,
    day: Annotated[Day, Query(alias="date")],
    ward: WardQuery = None,
    area: AreaQuery = None,
    lang: Annotated[Literal["en", "vi"], Query(description="Column names and types in English or Vietnamese")] = "en",
    session: Session = Depends(get_session),
    p: Principal = Depends(signed_in),
) -> Response:
    start, end = _day_range(day, settings)
    events = day_events(session, start, end, wards_asked(session, p, ward, area))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_HEADER_VI if lang == "vi" else CSV_HEADER)
    labels = {(z.camera_id, z.name): (z.params or {}).get("label") or z.name
              for z in session.scalars(select(Zone).where(Zone.camera_id.in_({e.camera_id for e in events})))}
    w.writerows(csv_rows(events, kinds_of(session, {e.ward for e in events}), settings.areas.city, day.isoformat(),
                         lang, labels))
    # a byte-order mark, so that Excel reads the Vietnamese names as UTF-8
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="urbanwatch-digest-{day}.csv"'})
