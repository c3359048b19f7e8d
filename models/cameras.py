"""Cameras and zones as stored, their health and their status changes."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from . import feed
from .schema import Camera, CameraStatusChange, Zone
from .serialize import camera_to_dict, iso

_PASSWORD = re.compile(r"(://[^:/@]+:)[^@]*@")


def mask_credentials(url: str) -> str:
    """rtsp://user:secret@host/... -> rtsp://user:***@host/... (never store camera passwords)."""
    return _PASSWORD.sub(r"\1***@", url)


def upsert_camera(
    session: Session, *, id: str, name: str, ward: str, source: str, enabled: bool,
    address: str | None = None, location: tuple[float, float] | None = None,
) -> Camera:
    cam = session.get(Camera, id)
    if cam is None:
        cam = Camera(id=id, state="unknown", health={})
        session.add(cam)
    cam.name, cam.ward = name, ward
    cam.source, cam.enabled = mask_credentials(source), enabled
    cam.address = address
    cam.latitude, cam.longitude = location if location else (None, None)
    session.flush()
    return cam


def sync_zones(session: Session, camera_id: str, zones: list[dict]) -> dict[str, Zone]:
    """Makes the camera's active zones exactly `zones` (dicts: name, kind, polygon, params).
    Zones no longer wanted are kept, inactive, because events refer to them. Any change bumps the
    camera's `zones_version`, which running workers follow."""
    existing = {z.name: z for z in session.scalars(select(Zone).where(Zone.camera_id == camera_id))}
    wanted = {z["name"] for z in zones}
    changed = False
    for z in zones:
        row = existing.get(z["name"])
        if row is None:
            row = Zone(camera_id=camera_id, name=z["name"])
            session.add(row)
            existing[z["name"]] = row
        new = (z["kind"], z["polygon"], z["params"], True)
        if (row.kind, row.polygon, row.params, row.active) != new:
            row.kind, row.polygon, row.params, row.active = new
            changed = True
    for name, row in existing.items():
        if name not in wanted and row.active:
            row.active = False
            changed = True
    if changed:
        cam = session.get(Camera, camera_id)
        cam.zones_version = (cam.zones_version or 0) + 1
    session.flush()
    return {name: row for name, row in existing.items() if name in wanted}


def active_zones(session: Session, camera_id: str) -> list[Zone]:
    return list(session.scalars(select(Zone).where(Zone.camera_id == camera_id, Zone.active).order_by(Zone.id)))


def zones_version(session: Session, camera_id: str) -> int:
    return session.scalar(select(Camera.zones_version).where(Camera.id == camera_id)) or 0


def list_cameras(session: Session, wards: list[str] | None = None) -> list[Camera]:
    """`wards` None: every camera; a list (even empty): the cameras of those wards."""
    q = select(Camera).options(selectinload(Camera.zones)).order_by(Camera.ward, Camera.name)
    if wards is not None:
        q = q.where(Camera.ward.in_(wards))
    return list(session.scalars(q))


def get_camera(session: Session, camera_id: str) -> Camera | None:
    return session.scalar(select(Camera).where(Camera.id == camera_id).options(selectinload(Camera.zones)))


def update_health(session: Session, camera_id: str, health: dict, now: datetime) -> None:
    cam = session.get(Camera, camera_id)
    if cam is None:
        return
    cam.health = health
    cam.health_updated_at = now
    cam.width, cam.height = health.get("width"), health.get("height")


def record_status_change(
    session: Session, camera_id: str, state: str, at: datetime, detail: str | None = None
) -> CameraStatusChange | None:
    """Stores a camera going online/offline and announces it. Returns None when nothing changed."""
    cam = session.get(Camera, camera_id)
    if cam is None or cam.state == state:
        return None
    change = CameraStatusChange(camera_id=camera_id, state=state, previous=cam.state, at=at, detail=detail)
    session.add(change)
    cam.state = state
    cam.state_changed_at = at
    session.flush()
    feed.append(
        session,
        "camera.status",
        {
            "type": "camera.status",
            "camera_id": camera_id,
            "state": state,
            "previous": change.previous,
            "changed_at": iso(at),
            "detail": detail,
            "camera": camera_to_dict(cam),
        },
        camera_id=camera_id,
        ward=cam.ward,
    )
    return change


def status_changes(session: Session, camera_id: str, limit: int = 50) -> list[CameraStatusChange]:
    return list(
        session.scalars(
            select(CameraStatusChange)
            .where(CameraStatusChange.camera_id == camera_id)
            .order_by(CameraStatusChange.at.desc(), CameraStatusChange.id.desc())
            .limit(limit)
        )
    )
