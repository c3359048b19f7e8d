from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.orm import Session

from models.cameras import get_camera, list_cameras, status_changes
from models.serialize import camera_to_dict, iso
from models.types import utcnow

from ..deps import get_session

router = APIRouter(prefix="/api/cameras", tags=["cameras"])


@router.get("", summary="Cameras with their health")
def cameras(session: Session = Depends(get_session)) -> list[dict]:
    now = utcnow()
    return [camera_to_dict(c, now) for c in list_cameras(session)]


@router.get("/{camera_id}", summary="One camera with its recent status changes")
def camera(camera_id: str, session: Session = Depends(get_session)) -> dict:
    cam = get_camera(session, camera_id)
    if cam is None:
        raise HTTPException(404, f"no camera {camera_id}")
    out = camera_to_dict(cam, utcnow())
    out["status_changes"] = [
        {"state": c.state, "previous": c.previous, "at": iso(c.at), "detail": c.detail}
        for c in status_changes(session, camera_id)
    ]
    return out
