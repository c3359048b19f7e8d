"""Snapshots, crops and clips, to those who may see the camera that took them."""

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from models.cameras import get_camera
from models.media import MediaStore

from ..deps import SettingsDep, get_session
from ..params import refusals
from ..security import Principal, signed_in

router = APIRouter(tags=["media"], responses=refusals(401, 404))

TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".mp4": "video/mp4",
         ".json": "application/json", ".zip": "application/zip"}


def camera_of(rel_path: str) -> str | None:
    """events/<yyyy>/<mm>/<dd>/<camera>/<file> and live/<camera>.jpg name their camera."""
    parts = rel_path.split("/")
    if len(parts) == 6 and parts[0] == "events":
        return parts[4]
    if len(parts) == 2 and parts[0] == "live":
        return parts[1].rsplit(".", 1)[0]
    return None


@router.get("/media/{path:path}", summary="A media file (snapshot, crop, clip)", response_class=FileResponse)
def media(path: str, settings: SettingsDep, session: Session = Depends(get_session),
          p: Principal = Depends(signed_in)):
    store = MediaStore(settings.storage.resolved_media_dir, create=False)
    camera_id = camera_of(path)
    cam = get_camera(session, camera_id) if camera_id else None
    if cam is None or not p.scope.allows(cam.ward):
        raise HTTPException(404, "not found")
    try:
        file = store.path(path)
    except ValueError:
        raise HTTPException(404, "not found") from None
    if not file.is_file():
        raise HTTPException(404, "not found")
    # pictures and clips never change once written: browsers may keep them (privately)
    return FileResponse(file, media_type=TYPES.get(file.suffix.lower(), "application/octet-stream"),
                        headers={"Cache-Control": "private, max-age=86400"})
