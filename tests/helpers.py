"""Small builders shared by tests."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import av
import numpy as np

from models import Database
from models.cameras import sync_zones, upsert_camera
from models.events import NewEvent, create_event

T0 = datetime(2026, 11, 27, 1, 0, 0, tzinfo=UTC)


def add_areas(db: Database) -> None:
    """The city's wards and communes as the service loads them at start (the built-in list)."""
    from models.areas import sync_areas
    from urbanwatch.config.areas import AreasConfig

    areas = AreasConfig()
    with db.write() as s:
        sync_areas(s, areas.units(), [(g.name, g.members) for g in areas.groups])


def add_camera(db: Database, cid="cam1", ward="Bến Thành", name="Nguyễn Huệ 1") -> int:
    add_areas(db)
    with db.write() as s:
        upsert_camera(s, id=cid, name=name, ward=ward, source="rtsp://admin:pw@10.0.0.1/s", enabled=True)
        zones = sync_zones(s, cid, [{"name": "via_he", "kind": "sidewalk",
                                     "polygon": [[0, 0], [100, 0], [100, 100]], "params": {"dwell_s": 3}}])
        return zones["via_he"].id


def new_event(camera_id="cam1", zone_id=None, minutes=0, type="encroachment") -> NewEvent:
    at = T0 + timedelta(minutes=minutes)
    return NewEvent(
        type=type, camera_id=camera_id, zone_id=zone_id, zone_name="via_he", category="vehicle", class_name="car",
        confidence=0.81, bbox=[10.0, 20.0, 50.0, 60.0], frame_width=1280, frame_height=720, track_id=4,
        started_at=at - timedelta(seconds=3), raised_at=at, snapshot=f"events/x/{minutes}-clean.jpg",
        snapshot_annotated=f"events/x/{minutes}-annotated.jpg", details={"params": {"dwell_s": 3}},
    )


def add_event(db: Database, **kw) -> int:
    with db.write() as s:
        return create_event(s, new_event(**kw)).id


PASSWORD = "correct horse battery"


def add_user(db: Database, username: str, role: str, areas=("Bến Thành",), city_wide=False) -> str:
    """Creates an account and returns a bearer token for it."""
    from models.users import create_api_token, create_user

    add_areas(db)
    with db.write() as s:
        u = create_user(s, username, PASSWORD, role, list(areas), city_wide)
        return create_api_token(s, u, "tests")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def encode_clip(path, frames: int, fps: int = 25, size=(320, 240), codec="libx264", options=None, noise=False):
    """A small real encode: a white square moving right, on black or on noise (so that every
    predicted frame carries data)."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=fps, options=options or {})
        s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
        s.time_base = Fraction(1, fps)
        for i in range(frames):
            img = rng.integers(0, 40, (size[1], size[0], 3), np.uint8) if noise else np.zeros(
                (size[1], size[0], 3), np.uint8)
            img[50:100, 10 + 5 * i : 60 + 5 * i] = 255
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts = i
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path
