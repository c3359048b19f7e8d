"""Makes the database's cameras and zones match the configuration at start-up."""

from __future__ import annotations

from models import Database
from models.cameras import sync_zones, upsert_camera

from ..config import Settings
from .build import zone_params


def sync_cameras(db: Database, settings: Settings) -> None:
    with db.write() as s:
        for cam in settings.cameras:
            upsert_camera(
                s, id=cam.id, name=cam.name, district=cam.district, ward=cam.ward, source=cam.url,
                enabled=cam.enabled,
            )
            sync_zones(
                s,
                cam.id,
                [
                    {"name": z.name, "kind": z.kind, "polygon": [list(p) for p in z.polygon],
                     "params": zone_params(settings, z)}
                    for z in cam.zones
                ],
            )
