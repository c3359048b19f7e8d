"""Makes the database's areas, cameras and zones match the configuration at start-up."""

from __future__ import annotations

import logging

from models import Database
from models.areas import sync_areas
from models.cameras import sync_zones, upsert_camera
from models.db import serialise_startup

from ..config import Settings
from .build import config_zones

log = logging.getLogger(__name__)


def sync_cameras(db: Database, settings: Settings) -> None:
    """Cameras come from the configuration. So do their zones, until an admin draws them in the
    console: from then on the console's zones are kept, and the configuration's are ignored."""
    with db.write() as s:
        serialise_startup(s.connection())
        sync_areas(s, settings.areas.units(), [(g.name, g.members) for g in settings.areas.groups])
        for cam in settings.cameras:
            row = upsert_camera(s, id=cam.id, name=cam.name, ward=cam.ward, source=cam.url, enabled=cam.enabled,
                                address=cam.address, location=cam.location)
            if row.zones_edited:
                if cam.zones:
                    log.warning("camera %s: zones were edited in the console; config.yaml's zones are ignored",
                                cam.id)
                continue
            sync_zones(s, cam.id, config_zones(settings, cam))
