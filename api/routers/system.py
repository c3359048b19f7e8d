import shutil
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import feed
from models.failed_writes import failed_write_to_dict, list_failed_writes
from models.schema import FeedEntry
from models.serialize import feed_message
from urbanwatch import __version__
from urbanwatch.config import Settings

from ..deps import get_session, get_settings
from ..params import Offset, refusals
from ..security import Principal, admin, signed_in

router = APIRouter(prefix="/api", tags=["system"], responses=refusals(401, 403))


@router.get("/info", summary="What the console needs to know about this installation")
def info(settings: Settings = Depends(get_settings)) -> dict:
    return {"version": __version__, "timezone": settings.timezone, "default_language": "vi"}


@router.get("/system/failed-writes", summary="Writes the workers set aside because they could never succeed, "
            "newest first, with their tracebacks (admins)")
def failed_writes(
    session: Session = Depends(get_session),
    p: Principal = Depends(admin),
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[dict]:
    return [failed_write_to_dict(f) for f in list_failed_writes(session, limit, offset)]


@router.get("/health", summary="Liveness: the database answers")
def health(session: Session = Depends(get_session)) -> dict:
    return {"ok": True, "feed_last_id": feed.last_id(session)}


@router.get("/workers", summary="Worker processes of this machine and the cameras each serves")
def workers(request: Request, p: Principal = Depends(admin)) -> list[dict]:
    supervisor = getattr(request.app.state, "supervisor", None)
    return supervisor.status() if supervisor else []


@router.get("/system/status", summary="Media disk and the latest system warning, for the console's banner")
def system_status(request: Request, session: Session = Depends(get_session), p: Principal = Depends(signed_in)) -> dict:



    root = request.app.state.settings.storage.resolved_media_dir
    while not root.exists() and root != root.parent:  # no media yet: the disk it will be on
        root = root.parent
    usage = shutil.disk_usage(root)
    warning = session.scalar(select(FeedEntry).where(FeedEntry.type == "system.warning")
                             .order_by(FeedEntry.id.desc()).limit(1))
    return {"media_free_percent": round(100 * usage.free / usage.total, 1),
            "media_free_gb": round(usage.free / 1e9, 1),
            "min_free_percent": request.app.state.settings.retention.min_free_percent,
            "last_warning": feed_message(warning) if warning else None}
