"""Shared fixtures: real databases, real RTSP cameras, the real detector models.

Material from ../shared (footage, models, the RTSP test camera) is found through
URBANWATCH_SHARED. Without it tests skip with the reason, except in CI (CI=true), where a
missing piece is a failure: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.cluster import fresh_database
from models import Database
from models.schema import Base

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("URBANWATCH_SHARED", ROOT.parent / "shared")).resolve()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("URBANWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def need(condition: bool, reason: str) -> None:
    """Skip when something external is missing, but fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def shared_path(rel: str) -> Path:
    p = SHARED / rel
    need(p.exists(), f"{p} not found (set URBANWATCH_SHARED to the shared test material)")
    return p


@pytest.fixture(scope="session")
def shared() -> Path:
    need(SHARED.is_dir(), f"shared test material not found at {SHARED} (set URBANWATCH_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def onnx_model() -> Path:
    return shared_path("models/yolov8n_int8.onnx")


@pytest.fixture(scope="session")
def pt_model() -> Path:
    return shared_path("models/yolov8n_coco.pt")


@pytest.fixture(scope="session")
def curb_clip() -> Path:
    return shared_path("data/clips/street/vn_cars_parked_at_curb.mp4")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------- databases
@contextmanager
def empty_pg_database(prefix: str):
    """A new, empty PostgreSQL database (its URL), dropped afterwards."""
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        need(False, f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    admin.dispose()
    with fresh_database(prefix, PG_ADMIN_URL) as url:
        yield url


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    with empty_pg_database("urbanwatch_test") as url:
        db = Database(url)
        db.upgrade()
        db.dispose()
        yield url


def _truncate_pg(db: Database) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as c:
        c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """The same tests on both databases."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'urbanwatch.db'}"
        db = Database(url)
        db.upgrade()
        db.dispose()
        return url
    url = request.getfixturevalue("pg_database")
    db = Database(url)
    _truncate_pg(db)
    db.dispose()
    return url


@pytest.fixture
def db(db_url) -> Database:
    database = Database(db_url)
    yield database
    database.dispose()


# ---------------------------------------------------------------------------- RTSP cameras
class RtspCamera:
    """The shared RTSP test server (GStreamer) serving clips as looping live cameras."""

    def __init__(self, rundir: Path, clips: dict[str, Path]):
        self.script = shared_path("tools/rtsp-test-camera/camera.sh")
        self.rundir = rundir
        self.clips = clips
        self.port = free_port()

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        specs = [f"{n}={p}" for n, p in self.clips.items()]
        out = subprocess.run(
            [str(self.script), "start", str(self.port), str(self.rundir), *specs],
            capture_output=True, text=True, timeout=180,
        )
        if out.returncode != 0:
            raise RuntimeError(f"RTSP test camera failed to start: {out.stderr or out.stdout}")

    @property
    def pid(self) -> int:
        return int((self.rundir / f"server-{self.port}.pid").read_text())

    def stop(self) -> None:
        subprocess.run([str(self.script), "stop", str(self.port), str(self.rundir)], timeout=30, check=False)


@pytest.fixture(scope="session")
def camera_cache(tmp_path_factory) -> Path:
    # conversions to H.264 are cached per session: each clip is converted once
    return tmp_path_factory.mktemp("rtsp-camera")


@pytest.fixture
def rtsp_camera(camera_cache, shared):
    need(shutil.which("ffmpeg") is not None, "ffmpeg is not installed (scripts/system-packages.sh)")
    need(Path("/usr/bin/python3").exists(), "Debian's python3 with gi is needed by the RTSP test camera")
    cams: list[RtspCamera] = []

    def make(**clips: Path) -> RtspCamera:
        cam = RtspCamera(camera_cache, clips)
        cam.start()
        cams.append(cam)
        return cam

    yield make
    for cam in cams:
        cam.stop()
