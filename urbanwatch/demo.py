"""`urbanwatch demo`: the whole system on a replayed street video, no camera needed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import av

from .config import Settings, parse_config

DEMO_CLIP = "data/clips/street/vn_cars_parked_at_curb.mp4"
DEMO_MODEL = "models/yolov8n_coco.pt"


class DemoError(RuntimeError):
    pass


def shared_dir() -> Path | None:
    """The shared test material beside the checkout (URBANWATCH_SHARED, default ../shared)."""
    candidates = [os.environ.get("URBANWATCH_SHARED"), "../shared",
                  str(Path(__file__).resolve().parents[1].parent / "shared")]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c).resolve()
    return None


def _frame_size(video: Path) -> tuple[int, int]:
    with av.open(str(video)) as c:
        frame = next(c.decode(video=0))
        from streams.frames import display_size

        return display_size(frame)


def demo_settings(video: str | None, model: str | None, port: int, data_dir: Path, dwell_s: float) -> Settings:
    shared = shared_dir()
    if video is None:
        if shared is None or not (shared / DEMO_CLIP).is_file():
            raise DemoError("no demo video found: pass --video PATH (a street video with parked vehicles)")
        video = str(shared / DEMO_CLIP)
    video_path = Path(video).resolve()
    if not video_path.is_file():
        raise DemoError(f"no such video: {video_path}")
    model = model or os.environ.get("URBANWATCH_MODEL")
    if model is None and shared is not None and (shared / DEMO_MODEL).is_file():
        model = str(shared / DEMO_MODEL)

    gt = video_path.with_name(video_path.name + ".gt.json")
    zones = []
    if gt.is_file():
        sidewalks = [z for z in json.loads(gt.read_text()).get("zones", []) if z["kind"] == "sidewalk"]
        for n, z in enumerate(sidewalks, 1):
            label = "Vỉa hè" if len(sidewalks) == 1 else f"Vỉa hè {n}"  # what staff read, not the zone's code
            zones.append({"name": z["name"], "label": label, "kind": "sidewalk", "polygon": z["polygon"],
                          "dwell_s": dwell_s})
    if not zones:  # any video: the whole picture is the sidewalk
        w, h = _frame_size(video_path)
        zones.append({"name": "whole_view", "label": "Toàn khung hình", "kind": "sidewalk",
                      "polygon": [[0, 0], [w, 0], [w, h], [0, h]],
                      "dwell_s": dwell_s})
    data = {
        "server": {"host": "127.0.0.1", "port": port},
        "storage": {"data_dir": str(data_dir)},
        "detector": {"model": model} if model else {},
        "ingest": {"offline_after_s": 10},
        "cameras": [
            {
                "id": "demo-1",
                "name": "Demo – đường Nguyễn Huệ",
                "ward": "Sài Gòn",
                "address": "Đường Nguyễn Huệ, trước Uỷ ban nhân dân Thành phố",
                "location": [10.7764, 106.7009],
                "url": str(video_path),
                "detect": {"fps": 2},
                "zones": zones,
            }
        ],
    }
    return parse_config(data, Path.cwd())


DEMO_USER = "demo"


def ensure_demo_user(settings: Settings, password: str) -> None:
    """The demo signs in as an admin who sees every ward (it listens on 127.0.0.1 only)."""
    from models import Database
    from models.users import create_user, get_user, hash_password

    db = Database(settings.storage.resolved_database_url)
    db.upgrade()
    with db.write() as s:
        user = get_user(s, DEMO_USER)
        if user is None:
            create_user(s, DEMO_USER, password, "admin", city_wide=True, display_name="Demo")
        else:
            user.password_hash, user.active = hash_password(password), True
    db.dispose()
