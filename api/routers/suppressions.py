"""Hard-negative memory: a camera's suppressions, made by dismissing events as false detections
(`learn`, called by the review routes), listed per camera and removable by supervisors."""

from __future__ import annotations

import cv2
from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy.orm import Session

from models import suppressions
from models.media import MediaStore
from models.schema import Event, User
from models.vocabulary import DismissReason
from urbanwatch.config import Settings
from vision.hard_negatives import signature

from ..deps import DbDep, get_session
from ..params import SuppressionId, refusals
from ..schemas import SuppressionOut
from ..security import Principal, client_ip, signed_in, supervisor
from .cameras import visible_camera

router = APIRouter(prefix="/api/cameras", tags=["cameras"], responses=refusals(401, 403, 404))


def snapshot_signature(settings: Settings, event: Event) -> dict | None:
    """The look of the event's object in its clean snapshot; None when the snapshot is gone or unreadable."""
    if not event.snapshot or event.media_purged_at is not None:
        return None
    try:
        path = MediaStore(settings.storage.resolved_media_dir, create=False).path(event.snapshot)
    except ValueError:
        return None
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        return None
    scale = (image.shape[1] / event.frame_width, image.shape[0] / event.frame_height)
    sig = signature(image, event.bbox, scale)
    return None if sig is None else sig.to_dict()


def learn(session: Session, settings: Settings, event: Event, user: User, ip: str | None) -> None:
    """After a review: a dismissal as a false detection makes (or renews) the event's suppression;
    any other decision (confirmed after all, or dismissed for another reason) removes it."""
    if event.review_reason == DismissReason.FALSE_DETECTION:
        look = snapshot_signature(settings, event)
        if look is not None:
            suppressions.create(session, event, user, look, settings.rules.hard_negative_days, ip)
        return
    old = suppressions.of_event(session, event.id)
    if old is not None:
        # why, as data: the console says it in the reader's language
        suppressions.remove(session, old, user, because={"because": "event_reviewed_again", "event_id": event.id,
                                                          "status": event.status}, ip=ip)


@router.get("/{camera_id}/suppressions", response_model=list[SuppressionOut],
            summary="The camera's hard-negative memory: what dismissals as false detections hold back, newest first")
def camera_suppressions(camera_id: str, session: Session = Depends(get_session),
                        p: Principal = Depends(signed_in)) -> list[dict]:
    visible_camera(session, p, camera_id)
    return [suppressions.suppression_to_dict(s) for s in suppressions.of_camera(session, camera_id)]


@router.delete("/{camera_id}/suppressions/{suppression_id}", status_code=204,
               summary="Remove a suppression (supervisors): the camera alerts on that object again")
def remove_suppression(camera_id: str, suppression_id: SuppressionId, request: Request, db: DbDep,
                       p: Principal = Depends(supervisor)) -> None:
    with db.write() as s:
        visible_camera(s, p, camera_id)
        found = suppressions.get(s, suppression_id)
        if found is None or found.camera_id != camera_id:
            raise HTTPException(404, f"no suppression {suppression_id} on camera {camera_id}")
        suppressions.remove(s, found, s.get(User, p.user.id), ip=client_ip(request))
