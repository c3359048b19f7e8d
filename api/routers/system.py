from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from models import feed
from urbanwatch import __version__
from urbanwatch.config import Settings

from ..deps import get_session, get_settings
from ..security import Principal, admin

router = APIRouter(prefix="/api", tags=["system"])


@router.get("/info", summary="What the console needs to know about this installation")
def info(settings: Settings = Depends(get_settings)) -> dict:
    return {"version": __version__, "timezone": settings.timezone, "default_language": "vi"}


@router.get("/health", summary="Liveness: the database answers")
def health(session: Session = Depends(get_session)) -> dict:
    return {"ok": True, "feed_last_id": feed.last_id(session)}


@router.get("/workers", summary="Worker processes of this machine and the cameras each serves")
def workers(request: Request, p: Principal = Depends(admin)) -> list[dict]:
    supervisor = getattr(request.app.state, "supervisor", None)
    return supervisor.status() if supervisor else []
